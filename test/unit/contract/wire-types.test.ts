// The contract declares the JSON each route answers; the server builds it from its own types
// (branded PCI addresses and MACs, the ledger's rows, the planner's steps). These checks are
// compile-time (tsc runs over test/): each server type, as JSON has it, must be exactly the
// contract's type, so a field added, dropped or retyped on either side fails the build until the
// other says the same.
import { describe, expectTypeOf, it } from 'vitest';
import type * as contract from '../../../src/contract/index.js';
import type { ApplyStarted, PlanAnswer } from '../../../src/daemon/policy-ops.js';
import type { DoctorReport } from '../../../src/doctor/types.js';
import type { VfSettings } from '../../../src/executor/vf-settings.js';
import type { Inventory } from '../../../src/inventory/types.js';
import type { AttachResult, PlacementPreview } from '../../../src/allocation/service.js';
import type { ReconcileReport } from '../../../src/ledger/ledger.js';
import type { PlacementExplanation } from '../../../src/ledger/placement.js';
import type { Attachment } from '../../../src/ledger/types.js';
import type { Capacity, NumaCapacity, PfCapacity } from '../../../src/metrics/capacity.js';
import type { DaemonEvent } from '../../../src/metrics/events.js';
import type { HealthReport } from '../../../src/metrics/health.js';
import type { PfRate, VfRate } from '../../../src/metrics/traffic.js';
import type { Unverified } from '../../../src/policy/verify.js';

/** A primitive as JSON has it: a branded one (an extra key) is the plain primitive. */
type Plain<T, P> = P extends T ? P : keyof T extends keyof P ? T : P;

/**
 * A server type as its JSON reads: branded strings and numbers (PciAddress, MacAddress, Mbps, ...)
 * are plain strings and numbers; literals stay literals.
 */
type Wire<T> = T extends string
  ? Plain<T, string>
  : T extends number
    ? Plain<T, number>
    : T extends boolean | null | undefined
      ? T
      : T extends readonly (infer U)[]
        ? Wire<U>[]
        : T extends object
          ? { [K in keyof T]: Wire<T[K]> }
          : T;

/** Checks Wire itself: brands go, literals and the rest stay. */
declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };
expectTypeOf<Wire<Branded<string, 'X'>>>().toEqualTypeOf<string>();
expectTypeOf<Wire<Branded<number, 'X'>>>().toEqualTypeOf<number>();
expectTypeOf<
  Wire<{ a: 'auto' | 'enable'; n: 0 | 1; m?: Branded<number, 'X'> | null }>
>().toEqualTypeOf<{ a: 'auto' | 'enable'; n: 0 | 1; m?: number | null }>();

describe('the server answers exactly what the contract declares', () => {
  it('attachments, placement and reconcile', () => {
    expectTypeOf<Wire<Attachment>>().toEqualTypeOf<contract.Attachment>();
    expectTypeOf<Wire<PlacementExplanation>>().toEqualTypeOf<contract.PlacementExplanation>();
    expectTypeOf<Wire<AttachResult>>().toEqualTypeOf<contract.AttachResult>();
    expectTypeOf<Wire<PlacementPreview>>().toEqualTypeOf<contract.PlacementPreview>();
    expectTypeOf<Wire<ReconcileReport>>().toEqualTypeOf<contract.ReconcileReport>();
  });

  it('the host: inventory, doctor, capacity, traffic, health', () => {
    expectTypeOf<Wire<Inventory>>().toEqualTypeOf<contract.Inventory>();
    expectTypeOf<Wire<DoctorReport>>().toEqualTypeOf<contract.DoctorReport>();
    expectTypeOf<Wire<PfCapacity>>().toEqualTypeOf<contract.PfCapacity>();
    expectTypeOf<Wire<NumaCapacity>>().toEqualTypeOf<contract.NumaCapacity>();
    // GET /capacity answers the per-PF and per-node parts.
    expectTypeOf<Wire<Pick<Capacity, 'pfs' | 'numa'>>>().toEqualTypeOf<contract.Capacity>();
    expectTypeOf<Wire<VfRate>>().toEqualTypeOf<contract.VfRate>();
    expectTypeOf<Wire<PfRate>>().toEqualTypeOf<contract.PfRate>();
    expectTypeOf<Wire<HealthReport>>().toEqualTypeOf<contract.HealthReport>();
  });

  it('policies and events', () => {
    expectTypeOf<Wire<PlanAnswer>>().toEqualTypeOf<contract.PlanAnswer>();
    expectTypeOf<Wire<ApplyStarted>>().toEqualTypeOf<contract.ApplyStarted>();
    expectTypeOf<Wire<VfSettings>>().toEqualTypeOf<contract.VfSettings>();
    expectTypeOf<Wire<Unverified>>().toEqualTypeOf<contract.UnverifiedSettings>();
    expectTypeOf<Wire<DaemonEvent>>().toEqualTypeOf<contract.DaemonEvent>();
  });
});
