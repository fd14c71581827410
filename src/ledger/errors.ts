/** Errors the ledger answers with: a kind every surface maps the same way, the reason, the fix. */
import { SriovctlError } from '../host/errors.js';

export type LedgerErrorKind =
  /** The thing named does not exist (or is not visible to the caller). */
  | 'not-found'
  /** The request collides with the ledger's state (a name in use, a VF already attached). */
  | 'conflict'
  /** The request is well-formed but a rule refuses it (quota, bandwidth, VLAN, capacity). */
  | 'refused'
  /** The caller may not do this. */
  | 'forbidden'
  /** The kernel refused or failed a change; the host was left in the state `detail` says. */
  | 'host-failed';

export class LedgerError extends SriovctlError {
  override name = 'LedgerError';
  constructor(
    readonly kind: LedgerErrorKind,
    message: string,
    /** The request field the error is about (`minTxRate`, `consumer.name`). */
    readonly field?: string,
    hint?: string,
    /** Machine-readable details: placement numbers, the errno, the exclusions. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message, hint);
  }
}
