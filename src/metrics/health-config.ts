/**
 * Health rule configuration: every rule on by default with thresholds that suit a production host,
 * each adjustable (or switched off) in one validated object. Unknown keys are refused, so a typo in
 * a rule name is an error instead of a rule silently left at its default.
 */
import { z } from 'zod';

const severity = z.enum(['warn', 'fail']);

const toggle = (dflt: 'warn' | 'fail') =>
  z.object({ enabled: z.boolean().default(true), severity: severity.default(dflt) }).strict();

export const healthConfig = z
  .object({
    /** Seconds between evaluation passes (drift events also trigger one). */
    intervalSeconds: z.number().min(1).max(3600).default(15),
    /** A PF netdev administratively down or without carrier. */
    pfLinkDown: z
      .object({
        enabled: z.boolean().default(true),
        severity: severity.default('fail'),
        /** Only PFs that have VFs (a spare port without VFs being down is nobody's problem). */
        onlyWithVfs: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /**
     * A VF held by an attachment whose link is down: link-state disable where the attachment did
     * not ask for it, or link-state auto while its PF has no link.
     */
    vfLinkDown: toggle('fail').prefault({}),
    /**
     * Drop rates per VF (rx + tx dropped packets per second, from the PF's VF counters between
     * the last two samples). The netlink VF stats carry no error counters, so drops are the
     * loss signal a PF can give per VF.
     */
    vfDrops: z
      .object({
        enabled: z.boolean().default(true),
        warnPerSecond: z.number().min(0).default(10),
        failPerSecond: z.number().min(0).default(1000),
      })
      .strict()
      .refine((d) => d.warnPerSecond <= d.failPerSecond, {
        message: 'warnPerSecond must not exceed failPerSecond',
        path: ['warnPerSecond'],
      })
      .prefault({}),
    /** Drift from the applied policy, as the drift watcher reports it. */
    drift: z
      .object({
        enabled: z.boolean().default(true),
        severity: severity.default('warn'),
        /** Drift the daemon tried and failed to repair. */
        repairFailedSeverity: severity.default('fail'),
      })
      .strict()
      .prefault({}),
    /** Same-model PFs (vendor:device) running different firmware or driver versions. */
    firmware: toggle('warn').prefault({}),
    /** Guaranteed rates on a PF (sum of VFs' minTxRate) above link speed × oversubscription. */
    qosOversubscription: toggle('fail').prefault({}),
    /** Doctor's preflight checks that fail (and, if asked, those that warn). */
    doctor: z
      .object({
        enabled: z.boolean().default(true),
        includeWarnings: z.boolean().default(false),
        /** Check ids to leave out (e.g. `pf.managed-by`). */
        skip: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type HealthConfig = z.infer<typeof healthConfig>;
export type HealthConfigInput = z.input<typeof healthConfig>;

export const DEFAULT_HEALTH_CONFIG: HealthConfig = healthConfig.parse({});
