// The audit log's actions are one typed union (src/ledger/audit.ts), and every entry sriovctl
// writes goes through its appendAudit: a new kind of change is named there, never as a loose string.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, auditActionMeaning } from '../../../src/ledger/audit.js';
import { sourceFiles } from '../../lint/source-files.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Files allowed to call a store's appendAudit: the typed wrapper and the store itself. */
const WRITERS = ['src/ledger/audit.ts', 'src/ledger/store.ts'];

describe('audit actions', () => {
  it('are each named once, with what they record', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    for (const a of AUDIT_ACTIONS) {
      expect(a).toMatch(/^(tenant|pool|token|attachment|policy)\.[a-z-]+$/);
      expect(auditActionMeaning(a).length).toBeGreaterThan(10);
    }
  });

  it("are written only through the typed appendAudit (no store's appendAudit elsewhere)", () => {
    const callers = sourceFiles(join(ROOT, 'src'))
      .map((f) => relative(ROOT, f))
      .filter((f) => !WRITERS.includes(f) && !f.startsWith('src/ledger/sqlite/'))
      .filter((f) =>
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          // A store that wraps another (a host-scoped view) defines appendAudit by delegating.
          .some(
            (line) =>
              /\.appendAudit\(/.test(line) && !/^\s*(async\s+)?appendAudit\s*[:(]/.test(line),
          ),
      );
    expect(callers).toEqual([]);
  });
});
