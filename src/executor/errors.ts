/** The error an executor operation raises: which step, the kernel's errno, what it means, the fix. */
import { KernelError, SriovctlError, STRERROR, type ErrnoName } from '../host/errors.js';
import { explain, type Operation } from './explain.js';

export class OperationError extends SriovctlError {
  override name = 'OperationError';
  readonly explanation: string;

  constructor(
    readonly operation: Operation,
    /** What was being done, e.g. `write 0000:3b:00.0/sriov_numvfs = 2`. */
    readonly step: string,
    readonly errno: ErrnoName | null,
    explanation: string,
    fix?: string,
    options?: ErrorOptions,
  ) {
    super(`${step}: ${errno ? `${STRERROR[errno]} (${errno}): ` : ''}${explanation}`, fix, options);
    this.explanation = explanation;
  }

  /** Wraps a kernel refusal with the explanation for this operation. */
  static fromKernel(op: Operation, step: string, err: KernelError): OperationError {
    const e = explain(op, err.errno);
    return new OperationError(op, step, err.errno, e.explanation, e.fix, { cause: err });
  }
}
