/**
 * Every test file gets its own XDG_STATE_HOME, so kept simulated hosts (and anything else sriovctl
 * keeps in the user's state directory) never land in the real ~/.local/state, and files running in
 * parallel never share one. Child processes spawned with process.env inherit it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sriovctl-test-state-'));
process.env['XDG_STATE_HOME'] = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
