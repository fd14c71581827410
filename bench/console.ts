/**
 * The web console on a big host: time to first render of the Devices page with every VF of the
 * simulated `e810-8x256` host (8 PFs × 256 VFs = 2048 rows, virtualized), in Debian's Chromium
 * (headless, driven by playwright-core) against the real daemon (`sriovctl serve`, its own process,
 * demo traffic on as `npm start` has it), and the size of the JavaScript and CSS it ships.
 *
 * "First render" is the console's own mark, `sriov:vf-table-ready`: set when the VF table has
 * rendered its first rows from the inventory and attachments; its startTime counts from the
 * navigation's start, so it includes fetching the page, the bundle, the API calls and rendering.
 * Measured cold (a new browser context: empty cache, new connection) and warm (a reload, with the
 * long-cached assets from the cache).
 *
 * Two baselines in the same run, same browser, same daemon, same cold context:
 * - a blank page: first contentful paint of a ~200-byte answer of the daemon (the 401 JSON of
 *   GET /api/v1/whoami without a token): what any navigation and paint costs here, the floor;
 * - the login page: first contentful paint of the console without a token: the cost of the
 *   bundle itself (download, parse, React's first render) before any data.
 * Devices ÷ blank is the headline ratio; devices − login is what 2048 VFs add.
 *
 * It also times the filter: typing `ens5f0#200` into the filter of all 2048 VFs until the count
 * says 1 (in-page clock, from before the keystrokes are sent: an upper bound).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../test/browser/support/browser.js';
import { REPO, startServe, type Serve } from '../test/browser/support/serve.js';
import { median } from './harness.js';

const RUNS = 7;
const VFS = 2048;
const READY = '[data-testid=vf-scroll][data-ready=true]';

export interface AssetSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface ConsoleBench {
  devicesColdMs: number[];
  devicesWarmMs: number[];
  loginColdMs: number[];
  blankColdMs: number[];
  filterMs: number[];
  inventoryBytes: number;
  assets: AssetSize[];
  chromium: string;
}

/** The JS and CSS files Vite built, raw and gzipped (zlib's default level, as servers use). */
export function assetSizes(dir = join(REPO, 'dist/console/assets')): AssetSize[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(js|css)$/.test(f));
  } catch {
    throw new Error(`${dir} is missing: build the console first: npm run build`);
  }
  return files.sort().map((file) => {
    const data = readFileSync(join(dir, file));
    return { file, bytes: data.length, gzipBytes: gzipSync(data).length };
  });
}

async function tokenContext(browser: Browser, token: string | null): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(30_000);
  if (token !== null)
    await context.addInitScript({
      content: `sessionStorage.setItem('sriovctl.token', ${JSON.stringify(token)});`,
    });
  return context;
}

/** The ready mark of the current document, once the table has rendered. */
async function readyMark(page: Page): Promise<number> {
  await page.locator(READY).waitFor();
  const rows = await page.locator(READY).getAttribute('data-rows');
  if (Number(rows) !== VFS) throw new Error(`the Devices page lists ${rows} VFs, not ${VFS}`);
  return page.evaluate(
    () => performance.getEntriesByName('sriov:vf-table-ready')[0]?.startTime ?? NaN,
  );
}

async function fcp(page: Page): Promise<number> {
  // Functions, not strings: the console's CSP forbids evaluating strings in the page.
  const h = await page.waitForFunction(
    () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
  );
  return (await h.jsonValue())!;
}

/** One cold navigation in a new context; `measure` reads the figure from the page. */
async function cold(
  browser: Browser,
  token: string | null,
  url: string,
  measure: (p: Page) => Promise<number>,
): Promise<number> {
  const context = await tokenContext(browser, token);
  try {
    const page = await context.newPage();
    await page.goto(url);
    return await measure(page);
  } finally {
    await context.close();
  }
}

/** Types a filter that leaves one VF of 2048 and returns the in-page time until the count says 1. */
async function filterOnce(page: Page): Promise<number> {
  const filter = page.getByTestId('vf-filter');
  await filter.fill('');
  await page.locator(`[data-testid=vf-count][data-shown="${VFS}"]`).waitFor();
  const t0 = await page.evaluate(() => performance.now());
  await filter.fill('ens5f0#200');
  const h = await page.waitForFunction(
    () => {
      // Runs in the page; this tsconfig has no DOM types.
      type El = { getAttribute(name: string): string | null };
      const doc = (globalThis as unknown as { document: { querySelector(s: string): El | null } })
        .document;
      const shown = doc.querySelector('[data-testid=vf-count]')?.getAttribute('data-shown');
      return shown === '1' && doc.querySelector('[data-testid=vf-row-ens5f0-200]')
        ? performance.now()
        : 0;
    },
    null,
    { polling: 'raf' },
  );
  return (await h.jsonValue()) - t0;
}

export async function benchConsole(): Promise<ConsoleBench> {
  const assets = assetSizes();
  const d: Serve = await startServe('e810-8x256', ['--sim-traffic', 'on']);
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const devices = `${d.url}/#/devices`;
    const inventoryBytes = JSON.stringify(await d.call('GET', '/inventory')).length;
    // Warm-up: the daemon's first discoveries, the browser's first compile of the bundle.
    for (let i = 0; i < 2; i++) await cold(browser, d.adminToken, devices, readyMark);

    const r: Omit<ConsoleBench, 'assets' | 'chromium' | 'inventoryBytes'> = {
      devicesColdMs: [],
      devicesWarmMs: [],
      loginColdMs: [],
      blankColdMs: [],
      filterMs: [],
    };
    const warm = await tokenContext(browser, d.adminToken);
    const page = await warm.newPage();
    await page.goto(devices);
    await readyMark(page);
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so every figure sees the same machine noise.
      r.blankColdMs.push(await cold(browser, null, `${d.url}/api/v1/whoami`, fcp));
      r.loginColdMs.push(
        await cold(browser, null, `${d.url}/`, async (p) => {
          await p.getByTestId('login-page').waitFor();
          return fcp(p);
        }),
      );
      r.devicesColdMs.push(await cold(browser, d.adminToken, devices, readyMark));
      await page.reload();
      r.devicesWarmMs.push(await readyMark(page));
      r.filterMs.push(await filterOnce(page));
    }
    await warm.close();
    return { ...r, assets, inventoryBytes, chromium: browser.version() };
  } finally {
    await browser?.close();
    await d.stop();
  }
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const ms = (xs: number[]) =>
  `${median(xs).toFixed(0)} ms   (runs: ${xs.map((x) => x.toFixed(0)).join(', ')})`;

export function describeConsole(r: ConsoleBench): string {
  const js = r.assets.filter((a) => a.file.endsWith('.js'));
  const css = r.assets.filter((a) => a.file.endsWith('.css'));
  const sum = (xs: AssetSize[], k: 'bytes' | 'gzipBytes') => xs.reduce((s, a) => s + a[k], 0);
  const devices = median(r.devicesColdMs);
  return [
    `console: Devices page with ${VFS} simulated VFs, Chromium ${r.chromium} headless, ${RUNS} runs`,
    `  devices ready, cold     ${ms(r.devicesColdMs)}`,
    `  devices ready, reload   ${ms(r.devicesWarmMs)}`,
    `  baseline login page FCP ${ms(r.loginColdMs)}`,
    `  baseline blank page FCP ${ms(r.blankColdMs)}`,
    `  ratio                   devices cold ÷ blank ${(devices / median(r.blankColdMs)).toFixed(1)}, devices cold − login ${(devices - median(r.loginColdMs)).toFixed(0)} ms   (target: < 1000 ms)`,
    `  filter 2048 → 1 VF      ${ms(r.filterMs)}`,
    `  GET /inventory          ${kb(r.inventoryBytes)} of JSON`,
    `  JavaScript              ${kb(sum(js, 'gzipBytes'))} gzipped (${kb(sum(js, 'bytes'))} raw, ${js.length} file${js.length === 1 ? '' : 's'})   (target: < 1 MB)`,
    `  CSS                     ${kb(sum(css, 'gzipBytes'))} gzipped (${kb(sum(css, 'bytes'))} raw)`,
  ].join('\n');
}
