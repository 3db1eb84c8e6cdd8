// Headless Chromium for page tests: Debian's chromium (scripts/setup.sh installs it) driven by
// playwright-core, with a fresh profile per run; axe-core audits; screenshots on failure.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS_DIR = new URL('../../test-results/', import.meta.url).pathname;

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run scripts/setup.sh (installs Debian's chromium) or set CHROMIUM_PATH`);
  const profile = mkdtempSync(join(tmpdir(), 'checkout-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs a test body; on failure saves a full-page screenshot of each open page under test-results/. */
export async function withScreenshots(context: BrowserContext, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const safe = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    const pages = context.pages().filter((p) => p.url() !== 'about:blank');
    await Promise.all(pages.map((p, i) => p.screenshot({ path: join(RESULTS_DIR, `${safe}${i ? `-${i}` : ''}.png`), fullPage: true }).catch(() => undefined)));
    throw err;
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core (WCAG 2 A/AA rules) on the current page; the page's CSP stays on (evaluated over CDP). */
export async function axeAudit(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const g = globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const r = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return result;
}

/** Documentation screenshots: with PAGES_SCREENSHOTS=<dir> (e.g. docs) the tests save the pages they reach there. */
export async function documentationScreenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.PAGES_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.locator('h1').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

/** RFC 4180 CSV → rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r') continue;
    else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else field += c;
  }
  if (field || row.length) { row.push(field); rows.push(row); }
  return rows;
}
