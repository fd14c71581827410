import { describe, expect, it } from 'vitest';
import { checkDefaultRoute, checkPfLink } from '../../../src/doctor/pf-link.js';
import { checkManagedBy } from '../../../src/doctor/pf-managers.js';
import { e810 } from './builders.js';

describe('pf.link', () => {
  it('passes when up, with speed in the evidence', () => {
    const r = checkPfLink(e810('0000:3b:00.0', 'ens1f0'));
    expect(r.status).toBe('pass');
    expect(r.evidence).toEqual(['/sys/class/net/ens1f0: admin UP, operstate up, speed 100000Mb/s']);
  });

  it('warns when administratively down and gives the ip link command', () => {
    const r = checkPfLink(
      e810('0000:3b:00.0', 'ens1f0', { adminUp: false, linkUp: false, speedMbps: null }),
    );
    expect(r.status).toBe('warn');
    expect(r.fix).toBe('Run `ip link set dev ens1f0 up`.');
  });

  it('says bnxt_en will not create VFs while down', () => {
    const r = checkPfLink(
      e810('0000:af:00.0', 'ens3f0np0', {
        driver: 'bnxt_en',
        vendorId: '14e4',
        adminUp: false,
        linkUp: false,
      }),
    );
    expect(r.title).toContain('bnxt_en refuses to create VFs while the interface is down');
    expect(r.fix).toBe('Run `ip link set dev ens3f0np0 up`.');
  });

  it('warns about a missing carrier with a cable/transceiver fix', () => {
    const r = checkPfLink(e810('0000:3b:00.0', 'ens1f0', { linkUp: false }));
    expect(r.status).toBe('warn');
    expect(r.fix).toContain('`ethtool ens1f0`');
  });
});

describe('pf.default-route', () => {
  it('passes for a PF without the default route', () => {
    expect(checkDefaultRoute(e810('0000:3b:00.0', 'ens1f0')).status).toBe('pass');
  });

  it('warns not to repurpose the PF that carries the default route', () => {
    const r = checkDefaultRoute(e810('0000:3b:00.0', 'ens1f0', { carriesDefaultRoute: true }));
    expect(r.status).toBe('warn');
    expect(r.title).toContain('do not repurpose it');
    expect(r.evidence).toEqual(['ip route show default: dev ens1f0']);
    expect(r.fix).toBe(
      'Manage a different PF, or move the management traffic (the default route) off ens1f0 before changing its VFs or driver.',
    );
  });
});

describe('pf.managed-by', () => {
  it('passes when no other manager claims the PF', () => {
    expect(checkManagedBy(e810('0000:3b:00.0', 'ens1f0')).status).toBe('pass');
  });

  it('warns about NetworkManager with nmcli managed no', () => {
    const r = checkManagedBy(
      e810('0000:3b:00.0', 'ens1f0', {
        managedBy: [
          {
            manager: 'NetworkManager',
            evidence: '/etc/NetworkManager/system-connections/ens1f0.nmconnection',
          },
        ],
      }),
    );
    expect(r.status).toBe('warn');
    expect(r.title).toContain('resets it on deactivation');
    expect(r.fix).toBe(
      'NetworkManager: run `nmcli device set ens1f0 managed no` (persist it with ' +
        '`unmanaged-devices=interface-name:ens1f0` under [keyfile] in /etc/NetworkManager/conf.d/), ' +
        'or remove the sriov setting from the connection in /etc/NetworkManager/system-connections/ens1f0.nmconnection.',
    );
  });

  it('gives one fix line per manager; networkd only renders netplan, so fixing netplan is enough', () => {
    const r = checkManagedBy(
      e810('0000:04:00.0', 'enp4s0f0', {
        managedBy: [
          { manager: 'netplan', evidence: '/etc/netplan/50-cloud-init.yaml' },
          { manager: 'netplan', evidence: '/run/systemd/network/10-netplan-enp4s0f0.network' },
          { manager: 'systemd-networkd', evidence: '/run/systemd/netif/links/2' },
        ],
      }),
    );
    expect(r.fix?.split('\n')).toEqual([
      'netplan: remove the SR-IOV settings for enp4s0f0 (virtual-function-count, embedded-switch-mode, VF entries ' +
        'with `link: enp4s0f0`) from /etc/netplan/50-cloud-init.yaml, then run `netplan apply`.',
      "systemd-networkd: renders netplan's configuration on this host; the netplan change above is enough.",
    ]);
  });

  it('names the .link file for systemd-networkd, or asks networkctl when only runtime state is known', () => {
    const fix = (evidence: string) =>
      checkManagedBy(
        e810('0000:3b:00.0', 'ens1f0', { managedBy: [{ manager: 'systemd-networkd', evidence }] }),
      ).fix;
    expect(fix('/etc/systemd/network/30-ens1f0.link')).toBe(
      'systemd-networkd: remove SR-IOVVirtualFunctions= and the [SR-IOV] sections from ' +
        '/etc/systemd/network/30-ens1f0.link, then run `networkctl reload`.',
    );
    expect(fix('/run/systemd/netif/links/7')).toContain('`networkctl status ens1f0` shows it');
  });
});
