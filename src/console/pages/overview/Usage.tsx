/** Usage bars: VFs and guaranteed bandwidth against their cap, red over it, amber from 90%. */
import {
  Progress,
  ProgressMeasureLocation,
  ProgressSize,
  ProgressVariant,
} from '@patternfly/react-core';
import type { CapacityCounts } from '../../../contract/index.js';
import { formatMbps, percent } from '../../lib/format.js';

/** `used` of `cap` as a bar, with `detail` under it. */
export function Usage(props: {
  used: number;
  cap: number;
  testId: string;
  title: string;
  label: string;
  detail?: string;
}) {
  const { used, cap, testId, title, label, detail } = props;
  const pct = percent(used, cap);
  const variant =
    cap > 0 && used > cap
      ? ProgressVariant.danger
      : pct >= 90
        ? ProgressVariant.warning
        : undefined;
  return (
    <>
      <Progress
        value={pct}
        label={label}
        measureLocation={ProgressMeasureLocation.outside}
        size={ProgressSize.sm}
        data-testid={testId}
        data-used={used}
        data-cap={cap}
        aria-label={`${title}: ${label}${detail ? `, ${detail}` : ''}`}
        {...(variant ? { variant } : {})}
      />
      {detail && <div className="sriov-muted">{detail}</div>}
    </>
  );
}

/** VFs allocated of configured, with how many are possible, pooled and free. */
export function VfUsage({ c, testId }: { c: CapacityCounts; testId: string }) {
  return (
    <Usage
      used={c.allocatedVfs}
      cap={c.numVfs}
      testId={testId}
      title="VFs allocated of configured"
      label={`${c.allocatedVfs} / ${c.numVfs}`}
      detail={`${c.totalVfs} possible · ${c.pooledVfs} in pools · ${c.freeVfs} free (not attached)`}
    />
  );
}

/** Guaranteed bandwidth against the cap the link speed allows. */
export function BwUsage({ c, testId }: { c: CapacityCounts; testId: string }) {
  return (
    <Usage
      used={c.guaranteedMbps}
      // No known link speed (null) caps nothing, like 0.
      cap={c.guaranteeCapMbps ?? 0}
      testId={testId}
      title="Guaranteed bandwidth"
      label={`${formatMbps(c.guaranteedMbps, '0')} / ${formatMbps(c.guaranteeCapMbps, '0')}`}
    />
  );
}
