/**
 * The CLI entry run from source, for tests that start the daemon as a real child process and kill
 * it (test/integration/crash.test.ts). Running src/ through tsx, not the built bin/sriovctl.js,
 * keeps the test on the code under test even when dist/ is stale.
 *
 *   node --import tsx test/support/crash-daemon-main.ts --sim e810-8x256 serve ...
 */
import { runFromProcess } from '../../src/cli/main.js';

await runFromProcess();
