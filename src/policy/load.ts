/**
 * Reading policy files: YAML (one or more documents) or JSON (an object or an array), NodePolicy or
 * the operator's SriovNetworkNodePolicy (and Kubernetes `List`s of them). Every failure is located
 * (`file:line:col: field: value problem — fix`); all of a file's problems are reported at once.
 * Files are read through a LocalFileReader (the seam to the operator's files), so this module stays
 * pure: the caller passes `localFiles` from host/linux, a test may pass its own.
 */
import { join } from 'node:path';
import type { LocalFileReader } from '../host/local-files.js';
import { isMap, isScalar, isSeq, visit, type Node } from 'yaml';
import {
  parseYamlDocuments,
  YAML_MAX_BYTES,
  yamlTooLarge,
  YamlLimitError,
  yamlValue,
} from '../host/yaml-limits.js';
import { importSriovNetworkNodePolicy, K8S_API_VERSION, K8S_KIND } from './k8s-import.js';
import {
  API_VERSION,
  compact,
  DEFAULT_PRIORITY,
  KIND,
  makeIssue,
  MISPLACED,
  NODE_POLICY_FIELDS,
  nodePolicySchema,
  schemaIssues,
  type LoadedPolicy,
  type NodePolicyDoc,
  type PolicyIssue,
  type Position,
} from './schema.js';

/** Policy files that could not be loaded; `issues` holds every located problem. */
export class PolicyLoadError extends Error {
  constructor(readonly issues: PolicyIssue[]) {
    super(issues.map((i) => i.text).join('\n'));
    this.name = 'PolicyLoadError';
  }
}

/** The policies of one text, and the problems that kept others out. */
export interface ParseResult {
  policies: LoadedPolicy[];
  errors: PolicyIssue[];
}

/** Parses policy text without throwing; `file` is only used in messages. */
export function parsePolicyDocuments(text: string, file: string): ParseResult {
  const result: ParseResult = { policies: [], errors: [] };
  let parsed: ReturnType<typeof parseYamlDocuments>;
  try {
    parsed = parseYamlDocuments(text, file);
  } catch (e) {
    if (!(e instanceof YamlLimitError)) throw e;
    result.errors.push(limitIssue(e));
    return result;
  }
  const { docs, lineCounter: lc } = parsed;
  const pos = (offset: number): Position => {
    const { line, col } = lc.linePos(offset);
    return { line, col };
  };
  if (docs.length === 0) return emptyFile(file, result);
  for (const doc of docs) {
    const bad = doc.errors[0];
    if (bad) {
      result.errors.push(
        makeIssue(
          'error',
          file,
          pos(bad.pos[0]),
          '',
          `${bad.message.split('\n')[0]!} — fix the YAML/JSON syntax`,
        ),
      );
      continue;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) continue; // an empty `---` document
    keepHexAsWritten(root);
    // The whole document's value, so aliases (`*base`) resolve wherever they point.
    let value: unknown;
    try {
      value = yamlValue(doc, lc, file);
    } catch (e) {
      if (!(e instanceof YamlLimitError)) throw e;
      result.errors.push(limitIssue(e));
      continue;
    }
    if (isSeq(root) && Array.isArray(value)) {
      root.items.forEach((item, i) => loadObject(item as Node, value[i], file, pos, result));
    } else {
      loadObject(root, value, file, pos, result);
    }
  }
  if (result.policies.length === 0 && result.errors.length === 0) return emptyFile(file, result);
  return result;
}

/** Parses policy text; throws PolicyLoadError listing every problem. */
export function parsePolicyText(text: string, file: string): LoadedPolicy[] {
  const r = parsePolicyDocuments(text, file);
  if (r.errors.length > 0) throw new PolicyLoadError(r.errors);
  return r.policies;
}

/**
 * Reads policy files (a directory means its *.yaml, *.yml and *.json files, sorted); throws
 * PolicyLoadError with the problems of every file.
 */
export function loadPolicyFiles(paths: string[], local: LocalFileReader): LoadedPolicy[] {
  return loadPolicySources(paths, local).policies;
}

/** A policy file as read: its path and its text. */
export interface PolicyText {
  file: string;
  text: string;
}

/**
 * Reads and parses policy files, returning the texts with the policies parsed from them, so a
 * caller that keeps the files (install) keeps exactly what was validated. Every problem in every
 * file is reported at once in a PolicyLoadError.
 */
export function loadPolicySources(
  paths: string[],
  local: LocalFileReader,
): {
  sources: PolicyText[];
  policies: LoadedPolicy[];
} {
  const sources: PolicyText[] = [];
  const policies: LoadedPolicy[] = [];
  const errors: PolicyIssue[] = [];
  for (const file of paths.flatMap((p) => expand(p, local, errors))) {
    let text: string;
    try {
      // Refused before reading: a policy path could name a huge file by mistake.
      const size = local.stat(file).size;
      if (size > YAML_MAX_BYTES) {
        errors.push(limitIssue(yamlTooLarge(file, size)));
        continue;
      }
      text = local.readText(file);
    } catch (e) {
      errors.push(unreadable(file, e));
      continue;
    }
    sources.push({ file, text });
    const r = parsePolicyDocuments(text, file);
    policies.push(...r.policies);
    errors.push(...r.errors);
  }
  if (errors.length > 0) throw new PolicyLoadError(errors);
  return { sources, policies };
}

// A directory stands for its policy files; anything else is read as a file (and fails there).
function expand(p: string, local: LocalFileReader, errors: PolicyIssue[]): string[] {
  let dir: boolean;
  try {
    dir = local.stat(p).isDirectory;
  } catch {
    return [p];
  }
  if (!dir) return [p];
  const files = local
    .readDir(p)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  if (files.length === 0) {
    errors.push(
      makeIssue(
        'error',
        p,
        { line: 1, col: 1 },
        '',
        'holds no *.yaml, *.yml or *.json policy files',
      ),
    );
  }
  return files.map((f) => join(p, f));
}

function unreadable(file: string, e: unknown): PolicyIssue {
  const code = (e as NodeJS.ErrnoException).code ?? String(e);
  return makeIssue(
    'error',
    file,
    { line: 1, col: 1 },
    '',
    `cannot be read (${code}) — check the path and its permissions`,
  );
}

function limitIssue(e: YamlLimitError): PolicyIssue {
  return makeIssue('error', e.file, { line: e.line, col: e.col }, '', e.problem);
}

function emptyFile(file: string, result: ParseResult): ParseResult {
  result.errors.push(
    makeIssue(
      'error',
      file,
      { line: 1, col: 1 },
      '',
      `holds no policy — expected apiVersion: ${API_VERSION}, kind: ${KIND}`,
    ),
  );
  return result;
}

/** Source field path → position of the key (or list item) that names it. */
export function collectPositions(
  node: Node,
  pos: (offset: number) => Position,
  path = '',
  out: Record<string, Position> = {},
): Record<string, Position> {
  if (path === '' && node.range) out[''] = pos(node.range[0]);
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const child = path === '' ? key : `${path}.${key}`;
      if (keyNode?.range) out[child] = pos(keyNode.range[0]);
      if (pair.value) collectPositions(pair.value as Node, pos, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = `${path}[${i}]`;
      const n = item as Node;
      if (n.range) out[child] = pos(n.range[0]);
      collectPositions(n, pos, child, out);
    });
  }
  return out;
}

function loadObject(
  node: Node,
  raw: unknown,
  file: string,
  pos: (offset: number) => Position,
  result: ParseResult,
): void {
  const start = node.range ? pos(node.range[0]) : { line: 1, col: 1 };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    result.errors.push(
      makeIssue(
        'error',
        file,
        start,
        '',
        `is not a policy object — expected a mapping with apiVersion: ${API_VERSION} and kind: ${KIND}`,
      ),
    );
    return;
  }
  const obj = raw as Record<string, unknown>;
  const positions = collectPositions(node, pos);
  // `kubectl get -o yaml` wraps objects in a List.
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    const items = isMap(node) ? node.get('items', true) : null;
    const values = obj.items as unknown[];
    if (isSeq(items)) {
      items.items.forEach((item, i) => loadObject(item as Node, values[i], file, pos, result));
    }
    return;
  }
  const name = nameOf(obj);
  if (obj.apiVersion === K8S_API_VERSION && obj.kind === K8S_KIND) {
    const r = importSriovNetworkNodePolicy(raw, { file, positions, start, raw, policy: name });
    if ('policy' in r) result.policies.push(r.policy);
    else result.errors.push(...r.errors);
    return;
  }
  if (obj.apiVersion === K8S_API_VERSION || (obj.kind !== KIND && obj.apiVersion !== API_VERSION)) {
    const field = obj.kind === undefined ? '' : 'kind';
    result.errors.push(
      makeIssue(
        'error',
        file,
        positions[field] ?? start,
        field,
        `${obj.kind === undefined ? 'the object has no kind' : `${JSON.stringify(obj.kind)} (apiVersion ${JSON.stringify(obj.apiVersion)}) is not a node policy`} — sriovctl reads ${KIND} (${API_VERSION}) and ${K8S_KIND} (${K8S_API_VERSION}); keep other objects in other files`,
        { policy: name },
      ),
    );
    return;
  }
  const parsed = nodePolicySchema.safeParse(raw);
  if (!parsed.success) {
    result.errors.push(
      ...schemaIssues(parsed.error, {
        file,
        positions,
        start,
        raw,
        policy: name,
        known: NODE_POLICY_FIELDS,
        misplaced: MISPLACED,
      }),
    );
    return;
  }
  result.policies.push(fromDoc(parsed.data, file, start, positions));
}

/**
 * YAML reads `deviceID: 0x1592` as the number 5522; put back what was written so hex IDs survive
 * (and a hex number in a numeric field is reported as written instead of silently converted).
 */
function keepHexAsWritten(node: Node): void {
  visit(node, {
    Scalar(_key, scalar) {
      if ((scalar.format === 'HEX' || scalar.format === 'OCT') && scalar.source !== undefined) {
        scalar.value = scalar.source;
      }
    },
  });
}

function nameOf(obj: Record<string, unknown>): string | null {
  const md = obj.metadata;
  if (md && typeof md === 'object' && typeof (md as Record<string, unknown>).name === 'string') {
    return (md as Record<string, string>).name!;
  }
  return null;
}

function fromDoc(
  doc: NodePolicyDoc,
  file: string,
  start: Position,
  positions: Record<string, Position>,
): LoadedPolicy {
  const s = doc.spec;
  const policy: LoadedPolicy = {
    name: doc.metadata.name,
    priority: s.priority ?? DEFAULT_PRIORITY,
    selector: compact(s.selector),
    vfGroups: (s.vfGroups ?? []).map((g) => compact(g)),
    source: { file, kind: 'NodePolicy', apiVersion: doc.apiVersion, position: start },
    fieldMap: {},
    positions,
    warnings: [],
  };
  if (s.numVfs !== undefined) policy.numVfs = s.numVfs;
  if (s.mtu !== undefined) policy.mtu = s.mtu;
  if (s.eswitchMode !== undefined) policy.eswitchMode = s.eswitchMode;
  if (s.adminState !== undefined) policy.adminState = s.adminState;
  if (s.drift !== undefined) policy.drift = s.drift;
  return policy;
}
