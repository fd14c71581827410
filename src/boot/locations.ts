/**
 * Where sriovctl keeps what must survive a reboot. /etc holds the operator's intent (editable, backed
 * up with the rest of /etc); /var/lib holds what sriovctl itself recorded (never edited by hand).
 */
export { MODULES_LOAD_FILE } from '../host/config-paths.js';

/** sriovctl's configuration directory. */
export const CONFIG_DIR = '/etc/sriovctl';
/** The installed policies: every *.yaml, *.yml and *.json here is applied at boot. */
export const POLICY_DIR = `${CONFIG_DIR}/policies.d`;
/** sriovctl's state directory. */
export const STATE_DIR = '/var/lib/sriovctl';
/** The resolved desired state of the last successful apply. */
export const APPLIED_STATE_FILE = `${STATE_DIR}/applied.json`;
/** systemd's directory for units installed by the administrator. */
export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';
/** The early-boot oneshot that recreates VFs. */
export const APPLY_UNIT = 'sriovctl-apply.service';
/** The daemon that keeps the host at the policy afterwards. */
export const DAEMON_UNIT = 'sriovctl.service';
/** The daemon's API socket, held by systemd so clients can connect before the daemon is up. */
export const SOCKET_UNIT = 'sriovctl.socket';
/** The daemon's API socket on a real host (root only). */
export const API_SOCKET = '/run/sriovctl/api.sock';
