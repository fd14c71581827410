/**
 * Small readers for tool JSON that check each field's type and name the exact field on failure, so
 * "iproute2 printed something else" becomes a MalformedHostError instead of a crash far away.
 * Unknown extra keys are ignored everywhere: newer iproute2 versions add keys freely.
 */
import { MalformedHostError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${typeof v === 'object' ? '' : JSON.stringify(v)}`.trim();
}

/** A reader bound to one JSON object and the path that names it in errors. */
export class Fields {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
  ) {}

  /** Wraps a value that must be an object. */
  static of(value: unknown, path: string): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new MalformedHostError(path, 'an object', describe(value));
    }
    return new Fields(value as JsonObject, path);
  }

  private at(key: string): string {
    return `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  num(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new MalformedHostError(this.at(key), 'a number', describe(v));
    return v;
  }

  optNum(key: string): number | undefined {
    return this.has(key) ? this.num(key) : undefined;
  }

  str(key: string): string {
    const v = this.obj[key];
    if (typeof v !== 'string') throw new MalformedHostError(this.at(key), 'a string', describe(v));
    return v;
  }

  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : undefined;
  }

  optBool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v !== 'boolean')
      throw new MalformedHostError(this.at(key), 'a boolean', describe(v));
    return v;
  }

  child(key: string): Fields {
    return Fields.of(this.obj[key], this.at(key));
  }

  optChild(key: string): Fields | undefined {
    return this.has(key) ? this.child(key) : undefined;
  }

  arr(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw new MalformedHostError(this.at(key), 'an array', describe(v));
    return v;
  }

  optArr(key: string): unknown[] | undefined {
    return this.has(key) ? this.arr(key) : undefined;
  }

  strArr(key: string): string[] {
    const a = this.arr(key);
    a.forEach((v, i) => {
      if (typeof v !== 'string')
        throw new MalformedHostError(`${this.at(key)}[${i}]`, 'a string', describe(v));
    });
    return a as string[];
  }
}

/** JSON.parse that reports the tool and a snippet instead of a bare SyntaxError. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const snippet = text.trim().slice(0, 60);
    throw new MalformedHostError(
      source,
      'JSON',
      snippet ? JSON.stringify(snippet) : 'empty output',
    );
  }
}
