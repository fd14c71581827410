/** Attachments on network VFs, for tests whose pools only hold VFs of PFs with a netdev. */
import { expect } from 'vitest';
import type { Attachment } from '../../src/ledger/types.js';

/** An attachment with a MAC and a PF netdev (a VF of a PF without a netdev has neither). */
export type NetworkAttachment = Attachment & { mac: string; pfNetdev: string };

/** `a`, checked to be on a network VF. */
export function onNetwork(a: Attachment): NetworkAttachment {
  expect(a.mac, `attachment ${a.id} has a MAC`).not.toBeNull();
  expect(a.pfNetdev, `attachment ${a.id} has a PF netdev`).not.toBeNull();
  return a as NetworkAttachment;
}
