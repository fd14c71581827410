/** The overview's warnings: doctor's warn/fail results and the daemon's warn/error events. */
import { Card, CardBody, CardTitle, List, ListItem } from '@patternfly/react-core';
import type { DaemonEvent, DoctorReport } from '../../../contract/index.js';
import { CheckLabel } from '../../components/labels.js';
import { Empty } from '../../components/states.js';
import { formatTime } from '../../lib/format.js';

/** Doctor's warn/fail results and the daemon's warn/error events, newest first. */
export function WarningsCard({
  doctor,
  events,
}: {
  doctor: DoctorReport | undefined;
  events: DaemonEvent[];
}) {
  const checks = (doctor?.results ?? []).filter((r) => r.status === 'warn' || r.status === 'fail');
  const recent = events
    .filter((e) => e.level !== 'info')
    .slice(-20)
    .reverse();
  return (
    <Card data-testid="overview-warnings" isFullHeight>
      <CardTitle>Warnings</CardTitle>
      <CardBody className="sriov-warnings">
        {checks.length === 0 && recent.length === 0 ? (
          <Empty title="No warnings" testId="overview-warnings-empty">
            Doctor found nothing wrong and the daemon reported no drift or failures.
          </Empty>
        ) : (
          <List isPlain>
            {checks.map((c) => (
              <ListItem key={`${c.id}@${c.scope}`} data-testid="warning-item" data-source="doctor">
                <CheckLabel status={c.status} /> {c.title}{' '}
                <span className="sriov-muted">({c.scope})</span>
              </ListItem>
            ))}
            {recent.map((e) => (
              <ListItem
                key={e.id}
                data-testid="warning-item"
                data-source="event"
                data-kind={e.kind}
              >
                <CheckLabel status={e.level === 'error' ? 'fail' : 'warn'} /> {e.message}{' '}
                <span className="sriov-muted">
                  ({e.kind}, {formatTime(e.at)})
                </span>
              </ListItem>
            ))}
          </List>
        )}
      </CardBody>
    </Card>
  );
}
