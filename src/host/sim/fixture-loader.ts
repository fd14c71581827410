/**
 * Loads a simulated host description (YAML) and validates it at the boundary: every error names the
 * file, line, column and field, what was expected and what was found.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, type Document, type LineCounter } from 'yaml';
import { MalformedHostError } from '../errors.js';
import {
  parseYamlDocument,
  YAML_MAX_BYTES,
  yamlTooLarge,
  YamlLimitError,
  yamlValue,
} from '../yaml-limits.js';
import { fixtureSchema, type Fixture } from './fixture-schema.js';
import { DEVICE_MODELS } from './models.js';

/** The fixtures folder that ships with sriovctl (works from src/ under tsx and from dist/). */
export const FIXTURES_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/hosts',
);
export const DEFAULT_FIXTURE = 'dual-socket-e810-cx6';

/** Names of the shipped fixtures. */
export function listFixtures(): string[] {
  if (!existsSync(FIXTURES_DIR)) return [];
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Resolves a fixture name (`small-82599`) or a path to a YAML file. */
export function resolveFixturePath(nameOrPath: string): string {
  if (/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath)) {
    const p = join(FIXTURES_DIR, `${nameOrPath}.yaml`);
    if (existsSync(p)) return p;
    throw new MalformedHostError(
      nameOrPath,
      `a shipped fixture (${listFixtures().join(', ')}) or a path to a YAML file`,
      'no such fixture',
    );
  }
  return resolve(nameOrPath);
}

function position(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): string {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true) as
      { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return `${line}:${col}`;
    }
  }
  return '1:1';
}

function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** Parses and validates fixture text; `file` is only used in messages. */
export function parseFixture(text: string, file: string): Fixture {
  const { docs: doc, lineCounter: lc } = bounded(() => parseYamlDocument(text, file));
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lc.linePos(e.pos[0]);
    throw new MalformedHostError(`${file}:${line}:${col}`, 'valid YAML', e.message.split('\n')[0]!);
  }
  const raw: unknown = bounded(() => yamlValue(doc, lc, file));
  if (!isMap(doc.contents))
    throw new MalformedHostError(
      `${file}:1:1`,
      'a YAML mapping (name, hostname, devices, ...)',
      raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw,
    );
  const parsed = fixtureSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const found = (() => {
      const v = doc.getIn(issue.path as unknown[]);
      return v === undefined ? 'nothing' : JSON.stringify(v);
    })();
    throw new MalformedHostError(
      `${file}:${position(doc, lc, issue.path)}: ${fieldName(issue.path) || '(top level)'}`,
      issue.message,
      found,
    );
  }
  const fx = parsed.data;
  checkSemantics(fx, (path, expected, found) => {
    throw new MalformedHostError(
      `${file}:${position(doc, lc, path)}: ${fieldName(path)}`,
      expected,
      found,
    );
  });
  return fx;
}

/** Runs a bounded YAML read, a refusal becoming the loader's own located error. */
function bounded<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw e instanceof YamlLimitError ? limitError(e) : e;
  }
}

function limitError(e: YamlLimitError): MalformedHostError {
  return new MalformedHostError(
    `${e.file}:${e.line}:${e.col}`,
    `YAML within sriovctl's limits`,
    e.problem,
  );
}

type Fail = (path: (string | number)[], expected: string, found: string) => never;

/** Cross-field rules a schema cannot express: unique addresses and names, VF counts within limits. */
function checkSemantics(fx: Fixture, fail: Fail): void {
  const addrs = new Map<string, number>();
  const names = new Map<string, number>();
  fx.devices.forEach((d, i) => {
    const prev = addrs.get(d.address);
    if (prev !== undefined)
      fail(['devices', i, 'address'], `a PCI address not used by devices[${prev}]`, d.address);
    addrs.set(d.address, i);
    if (d.netdev) {
      const p = names.get(d.netdev);
      if (p !== undefined)
        fail(['devices', i, 'netdev'], `a name not used by devices[${p}]`, d.netdev);
      names.set(d.netdev, i);
    }
    const model = DEVICE_MODELS[d.model]!;
    const total = d.totalVfs ?? model.sriov?.totalVfs ?? 0;
    if (!model.sriov && (d.numVfs > 0 || d.totalVfs !== undefined)) {
      fail(
        ['devices', i, 'numVfs'],
        `0 (model ${d.model} has no SR-IOV capability)`,
        String(d.numVfs),
      );
    }
    if (d.numVfs > total)
      fail(['devices', i, 'numVfs'], `at most totalVfs (${total})`, String(d.numVfs));
    if (d.numVfs > 0 && !d.sriovEnabled)
      fail(['devices', i, 'numVfs'], '0 when sriovEnabled is false', String(d.numVfs));
  });
  const allNames = new Set(names.keys());
  checkNetdevsim(fx, allNames, fail);
  fx.defaultRoutes.forEach((r, i) => {
    if (!allNames.has(r.dev))
      fail(
        ['defaultRoutes', i, 'dev'],
        `the netdev of a device in this fixture (${[...allNames].join(', ')})`,
        r.dev,
      );
  });
  for (const mgr of ['NetworkManager', 'netplan', 'networkd'] as const) {
    fx.managers[mgr].forEach((n, i) => {
      if (!allNames.has(n)) fail(['managers', mgr, i], `the netdev of a device in this fixture`, n);
    });
  }
}

/** netdevsim entries: unique ids, one name per port, names unique host-wide, VFs within max_vfs. */
function checkNetdevsim(fx: Fixture, allNames: Set<string>, fail: Fail): void {
  const ids = new Map<number, number>();
  let kernelEth = 0;
  (fx.netdevsim ?? []).forEach((d, i) => {
    const prev = ids.get(d.id);
    if (prev !== undefined)
      fail(['netdevsim', i, 'id'], `an id not used by netdevsim[${prev}]`, String(d.id));
    ids.set(d.id, i);
    if (d.portNames !== undefined && d.portNames.length !== d.ports)
      fail(
        ['netdevsim', i, 'portNames'],
        `one name per port (${d.ports})`,
        `${d.portNames.length} names`,
      );
    if (d.numVfs > d.maxVfs)
      fail(
        ['netdevsim', i, 'numVfs'],
        `at most maxVfs (${d.maxVfs}); more is ENOMEM on the real kernel`,
        String(d.numVfs),
      );
    // The names boot gives these ports: explicit, udev-style, or the kernel's next free eth%d.
    for (let p = 0; p < d.ports; p++) {
      const explicit = d.portNames?.[p];
      let name = explicit ?? (d.naming === 'udev' ? `eni${d.id}np${p + 1}` : '');
      if (!explicit && d.naming === 'kernel') {
        while (allNames.has(`eth${kernelEth}`)) kernelEth++;
        name = `eth${kernelEth}`;
      }
      if (allNames.has(name))
        fail(
          explicit ? ['netdevsim', i, 'portNames', p] : ['netdevsim', i, 'id'],
          'a netdev name not used by another device',
          name,
        );
      allNames.add(name);
    }
  });
}

/** Reads and validates a fixture file by name or path. */
export function loadFixture(nameOrPath: string): { fixture: Fixture; path: string } {
  const path = resolveFixturePath(nameOrPath);
  let size: number;
  let text = '';
  try {
    size = statSync(path).size;
    // Refused before reading: a fixture path could name a huge file by mistake.
    if (size <= YAML_MAX_BYTES) text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MalformedHostError(
      path,
      'a readable fixture file',
      (e as NodeJS.ErrnoException).code ?? String(e),
    );
  }
  if (size > YAML_MAX_BYTES) throw limitError(yamlTooLarge(path, size));
  return { fixture: parseFixture(text, path), path };
}
