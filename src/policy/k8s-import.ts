/**
 * Importing the Kubernetes SR-IOV operator's SriovNetworkNodePolicy (sriovnetwork.openshift.io/v1)
 * as a NodePolicy, so its users can bring their policies along. Fields sriovctl cannot honour are
 * refused or warned about by name, never dropped silently; messages keep the operator's field names.
 */
import { z } from 'zod';
import {
  eswitchField,
  mtuField,
  numVfsField,
  pciAddr,
  pciId,
  pfNameEntry,
  policyName,
  priorityField,
  makeIssue,
  schemaIssues,
  type IssueContext,
  type LoadedPolicy,
  type PolicyIssue,
  type Position,
  type VfGroup,
} from './schema.js';

export const K8S_API_VERSION = 'sriovnetwork.openshift.io/v1';
export const K8S_KIND = 'SriovNetworkNodePolicy';

/**
 * The operator's mutating webhook sets an omitted priority to 99 (the weakest). Without the webhook
 * Go's zero value 0 applies, which is the strongest: we take the webhook's reading and say so.
 */
export const K8S_DEFAULT_PRIORITY = 99;

const nicSelectorSchema = z
  .object({
    vendor: pciId('vendor').optional(),
    deviceID: pciId('device').optional(),
    rootDevices: z.array(pciAddr, { error: 'a list of PF PCI addresses' }).optional(),
    pfNames: z.array(pfNameEntry, { error: 'a list of PF names' }).optional(),
    netFilter: z.string().optional(),
  })
  .strict();

const k8sPolicySchema = z
  .object({
    apiVersion: z.literal(K8S_API_VERSION),
    kind: z.literal(K8S_KIND),
    // Kubernetes adds namespace, uid, labels, managedFields, ...: none of them matter here.
    metadata: z.looseObject(
      { name: policyName },
      { error: "metadata is a mapping with the policy's name" },
    ),
    spec: z
      .object(
        {
          resourceName: z.string({
            error: 'resourceName is the device plugin resource name, like intelnics',
          }),
          nodeSelector: z.record(z.string(), z.string()).optional(),
          priority: priorityField.optional(),
          mtu: mtuField.optional(),
          numVfs: numVfsField,
          nicSelector: nicSelectorSchema,
          deviceType: z
            .enum(['netdevice', 'vfio-pci'], { error: 'deviceType is netdevice or vfio-pci' })
            .optional(),
          isRdma: z.boolean({ error: 'isRdma is true or false' }).optional(),
          needVhostNet: z.boolean({ error: 'needVhostNet is true or false' }).optional(),
          linkType: z
            .enum(['eth', 'ETH', 'ib', 'IB'], { error: 'linkType is eth or ib' })
            .optional(),
          eSwitchMode: eswitchField.optional(),
          vdpaType: z
            .enum(['virtio', 'vhost'], { error: 'vdpaType is virtio or vhost' })
            .optional(),
          excludeTopology: z.boolean({ error: 'excludeTopology is true or false' }).optional(),
          externallyManaged: z.boolean({ error: 'externallyManaged is true or false' }).optional(),
          bridge: z.unknown().optional(),
        },
        { error: 'spec is a mapping with resourceName, numVfs and nicSelector' },
      )
      .strict(),
    status: z.unknown().optional(),
  })
  .strict();

const K8S_FIELDS: readonly string[] = [
  ...Object.keys(k8sPolicySchema.shape),
  'name',
  ...Object.keys(k8sPolicySchema.shape.spec.shape),
  ...Object.keys(nicSelectorSchema.shape),
];

const K8S_MISPLACED: Record<string, string> = {
  selector: 'spec.nicSelector',
  eswitchMode: 'spec.eSwitchMode',
  vfGroups: 'a NodePolicy (apiVersion sriovctl.io/v1alpha1); the operator format has no VF groups',
};

/** Where NodePolicy fields come from in an operator policy. */
const FIELD_MAP: Record<string, string> = {
  'spec.selector': 'spec.nicSelector',
  'spec.eswitchMode': 'spec.eSwitchMode',
  'spec.vfGroups[0]': 'spec',
  'spec.vfGroups[0].driver': 'spec.deviceType',
  'spec.vfGroups[0].mtu': 'spec.mtu',
};

export type ImportResult = { policy: LoadedPolicy } | { errors: PolicyIssue[] };

/** Converts one SriovNetworkNodePolicy object (already read from `ctx.file`) to a LoadedPolicy. */
export function importSriovNetworkNodePolicy(
  raw: unknown,
  ctx: Omit<IssueContext, 'known' | 'misplaced'>,
): ImportResult {
  const parsed = k8sPolicySchema.safeParse(raw);
  if (!parsed.success) {
    return {
      errors: schemaIssues(parsed.error, { ...ctx, known: K8S_FIELDS, misplaced: K8S_MISPLACED }),
    };
  }
  const doc = parsed.data;
  const s = doc.spec;
  const name = doc.metadata.name;
  const at = (field: string): Position =>
    ctx.positions[field] ?? ctx.positions['spec'] ?? ctx.start;
  const errors: PolicyIssue[] = [];
  const warnings: PolicyIssue[] = [];
  const error = (field: string, message: string) =>
    errors.push(makeIssue('error', ctx.file, at(field), field, message, { policy: name }));
  const warn = (field: string, message: string) =>
    warnings.push(makeIssue('warning', ctx.file, at(field), field, message, { policy: name }));

  if (s.priority === undefined) {
    warn(
      'spec.priority',
      `is not set — using ${K8S_DEFAULT_PRIORITY}, the operator webhook's default and the weakest priority (without the webhook, Go's zero value 0 would make this the strongest policy); set priority explicitly`,
    );
  }
  if (s.nodeSelector && Object.keys(s.nodeSelector).length > 0) {
    warn(
      'spec.nodeSelector',
      `is ignored — sriovctl configures the host it runs on; use this file only on nodes labelled ${Object.entries(
        s.nodeSelector,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  }
  if (s.nicSelector.netFilter !== undefined) {
    error(
      'spec.nicSelector.netFilter',
      `${JSON.stringify(s.nicSelector.netFilter)} is not supported — netFilter selects OpenStack/AWS networks from cloud metadata; select PFs with pfNames, rootDevices or vendor/deviceID`,
    );
  }
  const linkType = s.linkType?.toLowerCase();
  if (linkType === 'ib') {
    error(
      'spec.linkType',
      `${JSON.stringify(s.linkType)} is not supported — sriovctl configures Ethernet VFs; InfiniBand VFs need GUIDs and the ib-sriov-cni`,
    );
  }
  if (s.isRdma === true && s.deviceType === 'vfio-pci') {
    error(
      'spec.isRdma',
      "true conflicts with deviceType vfio-pci — a VF bound to vfio-pci has no RDMA device (the operator's webhook refuses this too)",
    );
  } else if (s.isRdma === true) {
    warn(
      'spec.isRdma',
      'true is not acted on — sriovctl does not change the RDMA subsystem; mlx5 VFs on their host driver already expose RDMA devices (see `rdma system` for the netns mode)',
    );
  }
  if (s.needVhostNet === true) {
    warn(
      'spec.needVhostNet',
      'true is ignored — the device plugin mounts /dev/vhost-net into pods; there is nothing to configure on the host',
    );
  }
  if (s.excludeTopology === true) {
    warn(
      'spec.excludeTopology',
      'true is ignored — it only changes how the device plugin reports NUMA topology',
    );
  }
  if (s.vdpaType !== undefined) {
    error(
      'spec.vdpaType',
      `${JSON.stringify(s.vdpaType)} is not supported — sriovctl does not create vDPA devices; remove vdpaType`,
    );
  }
  if (s.externallyManaged === true) {
    error(
      'spec.externallyManaged',
      "true is not supported — sriovctl creates and owns the VFs of the PFs it manages; remove externallyManaged to let sriovctl create them, or leave the PF out of sriovctl's policies",
    );
  }
  if (s.bridge !== undefined) {
    error(
      'spec.bridge',
      'is not supported — sriovctl does not configure OVS bridges; remove bridge and manage OVS separately',
    );
  }
  if (errors.length > 0) return { errors };

  const vfGroups: VfGroup[] = [];
  // The operator only makes a VF group when numVfs > 0 (api/v1/helper.go Apply).
  if (s.numVfs > 0) {
    const driver = s.deviceType === 'vfio-pci' ? 'vfio-pci' : 'host';
    const group: VfGroup = { driver };
    // The operator sets the policy MTU on netdevice VFs as well as the PF.
    if (s.mtu !== undefined && driver === 'host') group.mtu = s.mtu;
    vfGroups.push(group);
  }
  const selector: LoadedPolicy['selector'] = {};
  const n = s.nicSelector;
  if (n.vendor !== undefined) selector.vendor = n.vendor;
  if (n.deviceID !== undefined) selector.deviceID = n.deviceID;
  if (n.rootDevices !== undefined) selector.rootDevices = n.rootDevices;
  if (n.pfNames !== undefined) selector.pfNames = n.pfNames;
  const policy: LoadedPolicy = {
    name,
    priority: s.priority ?? K8S_DEFAULT_PRIORITY,
    selector,
    numVfs: s.numVfs,
    vfGroups,
    source: {
      file: ctx.file,
      kind: K8S_KIND,
      apiVersion: K8S_API_VERSION,
      position: ctx.start,
      resourceName: s.resourceName,
    },
    fieldMap: FIELD_MAP,
    positions: ctx.positions,
    warnings,
  };
  if (s.mtu !== undefined) policy.mtu = s.mtu;
  if (s.eSwitchMode !== undefined) policy.eswitchMode = s.eSwitchMode;
  return { policy };
}
