/**
 * A netdev with VF ndos as rtnetlink reaches it: rtnl_fill_vfinfo reads each VF through
 * ndo_get_vf_config, do_setvfinfo validates through the driver's ops and the driver stores what it
 * accepted. PCI PFs (kernel.ts) and netdevsim ports (netdevsim.ts) keep VF state differently; this
 * is the shape netlink.ts works against for both.
 */
import type { VfInfo, VfLinkState, VlanProto } from '../host.js';
import type { MacAddress } from '../names.js';
import type { VfOpContext, VfOps } from './drivers.js';

/** Where a driver keeps the settings it accepted for one VF. */
export interface VfStore {
  mac(mac: MacAddress): void;
  vlan(vlan: number, qos: number, proto: VlanProto): void;
  /** The (min, max) the driver's setRate returned (possibly rounded or truncated). */
  rate(min: number, max: number): void;
  spoofchk(on: boolean): void;
  linkState(state: VfLinkState): void;
  trust(on: boolean): void;
}

/** The VF side of one netdev that has VF ndos (a PF netdev or a netdevsim PF port). */
export interface VfPort {
  /** dev_num_vf(parent): what IFLA_NUM_VF reports. */
  readonly numVfs: number;
  readonly ops: VfOps;
  /** ndo_get_vf_config for VF `vf` < numVfs. */
  info(vf: number): VfInfo;
  /** What the driver's checks may look at for VF `vf`. */
  context(vf: number): VfOpContext;
  /** The VF's store, or null when the index has no state (vf >= numVfs). */
  store(vf: number): VfStore | null;
}

/** IFLA_VF_LINK_STATE values (if_link.h): AUTO=0, ENABLE=1, DISABLE=2. */
export const LINK_STATE_NUMBER: Record<VfLinkState, number> = { auto: 0, enable: 1, disable: 2 };
