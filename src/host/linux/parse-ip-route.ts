/** Parses `ip -j route show default` (IPv4 or IPv6) into DefaultRoutes. */
import type { DefaultRoute } from '../host.js';
import { ifName } from '../names.js';
import { Fields, parseJson } from './json-shape.js';
import { MalformedHostError } from '../errors.js';

function route(
  family: DefaultRoute['family'],
  dev: string,
  gateway: string | undefined,
): DefaultRoute | undefined {
  try {
    const r: DefaultRoute = { family, dev: ifName(dev) };
    if (gateway !== undefined) r.gateway = gateway;
    return r;
  } catch {
    return undefined; // a device name sriovctl would never act on
  }
}

/**
 * One DefaultRoute per (route, next hop). Multipath routes list `nexthops[]` instead of dev/gateway;
 * unreachable/blackhole defaults have no device and are skipped.
 * @throws MalformedHostError when the output is not iproute2's JSON route list.
 */
export function parseIpRouteJson(stdout: string, family: DefaultRoute['family']): DefaultRoute[] {
  const source = `ip -j${family === 'inet6' ? ' -6' : ''} route show default`;
  // Older iproute2 prints nothing at all for an empty table.
  if (stdout.trim() === '') return [];
  const parsed = parseJson(stdout, source);
  if (!Array.isArray(parsed))
    throw new MalformedHostError(source, 'a JSON array of routes', typeof parsed);
  const out: DefaultRoute[] = [];
  parsed.forEach((value, i) => {
    const r = Fields.of(value, `${source}: [${i}]`);
    const hops = r.optArr('nexthops');
    const candidates = hops ? hops.map((h, j) => Fields.of(h, `${r.path}.nexthops[${j}]`)) : [r];
    for (const hop of candidates) {
      const dev = hop.optStr('dev');
      if (dev === undefined) continue;
      const built = route(family, dev, hop.optStr('gateway'));
      if (built) out.push(built);
    }
  });
  return out;
}
