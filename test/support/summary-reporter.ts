/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary,
 * so CI logs carry a runner-neutral count of what ran.
 */
import type { File, Reporter, Task } from 'vitest';

function count(tasks: Task[], acc: { passed: number; failed: number; skipped: number }) {
  for (const t of tasks) {
    if (t.type === 'suite') count(t.tasks, acc);
    else if (t.result?.state === 'pass') acc.passed++;
    else if (t.result?.state === 'fail') acc.failed++;
    else acc.skipped++;
  }
  return acc;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: File[] = [], errors: unknown[] = []): void {
    const c = count(files, { passed: 0, failed: 0, skipped: 0 });
    // Errors outside tests (a file that fails to import) count as failures too.
    const failed =
      c.failed +
      errors.length +
      files.filter((f) => f.result?.state === 'fail' && f.tasks.length === 0).length;
    process.stdout.write(
      `\ntests: ${c.passed} passed, ${failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}\n`,
    );
  }
}
