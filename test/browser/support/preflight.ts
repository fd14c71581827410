/**
 * Before any browser test: Chromium and the built console must be there. A missing one fails the
 * run with the command that fixes it; nothing is skipped.
 */
import { requireChromium, requireConsoleBuild } from './browser.js';

export default function preflight(): void {
  requireChromium();
  requireConsoleBuild();
}
