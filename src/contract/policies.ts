/**
 * Policies through the API (admin only): POST /policies/plan answers the ordered steps that would
 * bring the host to the policy text, with the attachments each step touches; POST /policies/apply
 * starts applying it in the background (202) and streams progress on GET /events (apply.*).
 */
import { z } from 'zod';
import { attachment } from './attachments.js';
import { eswitchMode, vlanProto } from './host.js';
import { linkState } from './fields.js';

/** What POST /policies/plan takes. */
export const policyBody = z
  .object({
    text: z.string().min(1, 'paste or upload a policy (YAML or JSON)').max(200_000),
    allowDefaultRoute: z.boolean().optional(),
    force: z.boolean().optional(),
  })
  .strict();
export type PolicyBody = z.infer<typeof policyBody>;

/** What POST /policies/apply takes: the plan's body, and the confirmation of disruptive steps. */
export const applyBody = policyBody.extend({ confirmDisruptive: z.boolean() }).strict();
export type ApplyBody = z.infer<typeof applyBody>;

/** The VF settings a step sets; absent fields are left as they are. */
export const vfSettings = z.strictObject({
  mac: z.string().exactOptional(),
  vlan: z
    .strictObject({ vlan: z.number().int(), qos: z.number().int(), proto: vlanProto })
    .exactOptional(),
  minTxRate: z.number().int().exactOptional(),
  maxTxRate: z.number().int().exactOptional(),
  spoofchk: z.boolean().exactOptional(),
  trust: z.boolean().exactOptional(),
  linkState: linkState.exactOptional(),
});
export type VfSettings = z.infer<typeof vfSettings>;

const stepBase = {
  pf: z.string(),
  netdev: z.string().nullable(),
  /** One line for humans: what happens. */
  what: z.string(),
  /** Why it is needed: the desired value against the current one. */
  why: z.string(),
  /** Set (to the reason) when the step destroys VFs, rebinds drivers or takes a link down. */
  disruptive: z.string().exactOptional(),
  /** VF indexes the step touches. */
  vfs: z.array(z.number().int()),
  /** `unknown`: planned because the current values cannot be read; never verifiable. */
  basis: z.enum(['differs', 'unknown']),
};
const step = <K extends string, S extends z.ZodRawShape>(kind: K, shape: S) =>
  z.strictObject({ kind: z.literal(kind), ...stepBase, ...shape });

/** One step of a plan, by kind. */
export const planStep = z.discriminatedUnion('kind', [
  step('pfUp', {}),
  step('pfDown', {}),
  step('pfMtu', { from: z.number().int().nullable(), to: z.number().int() }),
  step('eswitchMode', { from: eswitchMode.nullable(), to: eswitchMode }),
  step('numVfs', { from: z.number().int(), to: z.number().int() }),
  step('waitVfs', { count: z.number().int(), netdevs: z.boolean() }),
  step('vfMacs', { macs: z.array(z.strictObject({ vf: z.number().int(), mac: z.string() })) }),
  step('vfDrivers', {
    changes: z.array(
      z.strictObject({
        vf: z.number().int(),
        device: z.string().nullable(),
        from: z.string().nullable(),
        to: z.enum(['host', 'vfio-pci', 'none']),
      }),
    ),
  }),
  step('vfSettings', {
    settings: z.array(z.strictObject({ vf: z.number().int(), settings: vfSettings })),
  }),
  step('vfMtu', { mtus: z.array(z.strictObject({ vf: z.number().int(), mtu: z.number().int() })) }),
]);
export type PlanStep = z.infer<typeof planStep>;

/** The plan: steps in order, refusals that need an override, and notes. */
export const plan = z.strictObject({
  steps: z.array(planStep),
  refusals: z.array(
    z.strictObject({
      pf: z.string(),
      reason: z.string(),
      /** The flag that overrides it. */
      override: z.enum(['allowDefaultRoute', 'force']),
    }),
  ),
  notes: z.array(z.string()),
});
export type Plan = z.infer<typeof plan>;

/** What POST /policies/plan answers. */
export const planAnswer = z.strictObject({
  plan,
  /** For each step (index into plan.steps) the attachments it would touch. */
  affected: z.array(z.strictObject({ step: z.number().int(), attachments: z.array(attachment) })),
  warnings: z.array(z.string()),
});
export type PlanAnswer = z.infer<typeof planAnswer>;

/** What POST /policies/apply answers (202): the operation, and where its events start. */
export const applyStarted = z.strictObject({
  operation: z.string(),
  /** The last event id before the operation's events: resume the events stream from it. */
  since: z.number().int(),
  total: z.number().int(),
});
export type ApplyStarted = z.infer<typeof applyStarted>;
