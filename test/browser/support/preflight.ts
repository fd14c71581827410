/**
 * Before any browser test: Chromium and the built console must be there (a missing one fails the
 * run with the command that fixes it; nothing is skipped), and the screenshots folder starts empty,
 * so what it holds is this run's.
 */
import { rmSync } from 'node:fs';
import { requireChromium, requireConsoleBuild, SCREENSHOTS } from './browser.js';

export default function preflight(): void {
  requireChromium();
  requireConsoleBuild();
  rmSync(SCREENSHOTS, { recursive: true, force: true });
}
