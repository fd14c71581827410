/** The fixture format: a YAML description of a simulated host (see fixtures/hosts/README.md). */
import { z } from 'zod';
import { DEVICE_MODELS } from './models.js';

const pci = z
  .string()
  .regex(
    /^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/,
    'a PCI address like 0000:3b:00.0 (lowercase hex)',
  );
const mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a lowercase MAC like b4:96:91:a5:c8:e0');
const ifname = z.string().regex(/^[A-Za-z0-9_.-]{1,15}$/, 'an interface name of 1-15 characters');

export const deviceSchema = z
  .object({
    model: z.enum(Object.keys(DEVICE_MODELS) as [string, ...string[]], {
      error: `one of ${Object.keys(DEVICE_MODELS).join(', ')}`,
    }),
    address: pci,
    /** The root port above the device; defaults to the device's bus minus one, function 0. */
    rootPort: pci.optional(),
    numaNode: z.number().int().min(-1).max(7).default(0),
    netdev: ifname.optional(),
    mac: mac.optional(),
    link: z.enum(['up', 'down']).default('up'),
    adminUp: z.boolean().default(true),
    mtu: z.number().int().min(68).max(9702).default(1500),
    speedMbps: z.number().int().positive().optional(),
    firmware: z.string().min(1).optional(),
    /** firmware versions reported by devlink (running), when the driver supports devlink info */
    serial: z.string().optional(),
    /** TotalVFs as configured in firmware/NVM (mlx5 NUM_OF_VFS, bnxt NVM) */
    totalVfs: z.number().int().min(0).max(65535).optional(),
    /** A driver resource limit below TotalVFs (i40e num_req_vfs, ice num_supported) */
    vfLimit: z.number().int().min(0).optional(),
    /** mlx5 SRIOV_EN=0: the device has no SR-IOV capability at all */
    sriovEnabled: z.boolean().default(true),
    vfOffset: z.number().int().min(1).optional(),
    numVfs: z.number().int().min(0).default(0),
    /** Bound driver; null leaves the device unbound. Default: the model's driver. */
    driver: z.string().nullable().optional(),
    /** false: no ACS above this device, so the PF and its VFs share one IOMMU group */
    acs: z.boolean().default(true),
    /** ice Double VLAN Mode: accepts 802.1ad VF VLANs */
    doubleVlanMode: z.boolean().default(false),
    eswitchMode: z.enum(['legacy', 'switchdev']).default('legacy'),
  })
  .strict();

/** A netdevsim device created at boot, as if `echo "ID PORTS" > /sys/bus/netdevsim/new_device` ran. */
export const netdevsimSchema = z
  .object({
    /** The bus device id: netdevsim<ID>, devlink handle netdevsim/netdevsim<ID>. */
    id: z.number().int().min(0).max(0x7fffffff),
    ports: z.number().int().min(0).max(16).default(1),
    queues: z.number().int().min(1).max(64).default(1),
    /**
     * Port netdev names: `kernel` is what the kernel allocates (eth0, eth1, ... as in a guest
     * without udev, like the lab); `udev` is systemd's eni<ID>np<port+1> (reps eni<ID>npf0vf<N>).
     */
    naming: z.enum(['kernel', 'udev']).default('kernel'),
    /** Explicit names for the boot ports, one per port (overrides `naming` for them). */
    portNames: z.array(ifname).optional(),
    /** The debugfs max_vfs knob (netdevsim's default is 4). */
    maxVfs: z.number().int().min(0).max(174762).default(4),
    /** VFs enabled at boot through sriov_numvfs. */
    numVfs: z.number().int().min(0).default(0),
  })
  .strict();

export const fixtureSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a lowercase name with dashes'),
    description: z.string().default(''),
    hostname: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'a hostname'),
    kernel: z
      .object({
        release: z.string().default('6.1.0-18-amd64'),
        cmdline: z
          .string()
          .default('BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro quiet'),
      })
      .strict()
      .default({
        release: '6.1.0-18-amd64',
        cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/sda1 ro quiet',
      }),
    cpu: z
      .object({
        vendor: z.enum(['GenuineIntel', 'AuthenticAMD']).default('GenuineIntel'),
        model: z.string().default('Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz'),
        sockets: z.number().int().min(1).max(8).default(1),
        coresPerSocket: z.number().int().min(1).max(128).default(4),
        virtualization: z.boolean().default(true),
      })
      .strict()
      .default({
        vendor: 'GenuineIntel',
        model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
        sockets: 1,
        coresPerSocket: 4,
        virtualization: true,
      }),
    iommu: z
      .object({
        /** The ACPI table the firmware exposes: DMAR (Intel VT-d), IVRS (AMD-Vi), or none (off in BIOS). */
        hardware: z.enum(['intel', 'amd', 'none']).default('intel'),
        /** The kernel set up translation (intel_iommu=on, or default-on). */
        enabled: z.boolean().default(true),
        interruptRemapping: z.boolean().default(true),
        units: z.number().int().min(1).max(16).default(2),
        defaultDomain: z.enum(['DMA', 'DMA-FQ', 'identity']).default('DMA'),
      })
      .strict()
      .default({
        hardware: 'intel',
        enabled: true,
        interruptRemapping: true,
        units: 2,
        defaultDomain: 'DMA',
      }),
    /** vfio-pci: loaded (driver registered), available (module on disk), or missing. */
    vfioPci: z.enum(['loaded', 'available', 'missing']).default('loaded'),
    vfioEnableSriov: z.boolean().default(false),
    /** Host VF drivers (iavf, ixgbevf, ...) loaded: VFs bind to them on creation. */
    vfDriversLoaded: z.boolean().default(true),
    defaultRoutes: z
      .array(
        z
          .object({
            dev: ifname,
            gateway: z.string().optional(),
            family: z.enum(['inet', 'inet6']).default('inet'),
          })
          .strict(),
      )
      .default([]),
    managers: z
      .object({
        NetworkManager: z.array(ifname).default([]),
        netplan: z.array(ifname).default([]),
        networkd: z.array(ifname).default([]),
      })
      .strict()
      .default({ NetworkManager: [], netplan: [], networkd: [] }),
    devices: z.array(deviceSchema).min(1),
    /** netdevsim devices (the module is loaded only when this list is given). */
    netdevsim: z.array(netdevsimSchema).optional(),
  })
  .strict();

export type FixtureDevice = z.infer<typeof deviceSchema>;
export type FixtureNetdevsim = z.infer<typeof netdevsimSchema>;
export type Fixture = z.infer<typeof fixtureSchema>;
