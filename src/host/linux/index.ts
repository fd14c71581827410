/** @module host/linux — the host seam on a real Linux kernel (sysfs + iproute2, devlink, ethtool). */
export { LinuxHost, createLinuxHost, type LinuxHostOptions } from './linux-host.js';
export { parseIpLinkJson } from './parse-ip-link.js';
export { parseIpRouteJson } from './parse-ip-route.js';
export { renderBatchLine } from '../batch-line.js';
export { buildBatchScript, parseBatchResults, parseSparseBatch } from './batch-results.js';
export { parseDevlinkEswitchJson, parseDevlinkInfoJson } from './devlink.js';
export { parseEthtoolDriverInfo } from './ethtool.js';
export { mapSeamPath, READABLE_PREFIXES, WRITABLE_PREFIXES } from './paths.js';
export { localFiles } from './local-files.js';
