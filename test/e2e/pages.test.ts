// The pages as a person uses them: headless Chromium against the real stack (API, Temporal,
// every worker pool, the payment sandbox with its 3-D Secure challenge page, Postgres, Redis).
// Also: development tokens are not minted in production.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import supertest from 'supertest';
import { startApiFixture, type ApiFixture } from '../helpers/api.ts';
import { axeAudit, documentationScreenshot, launchBrowser, parseCsv, withScreenshots, type TestBrowser } from '../helpers/browser.ts';

let f: ApiFixture;
let browser: TestBrowser;

beforeAll(async () => {
  [f, browser] = await Promise.all([startApiFixture(), launchBrowser()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await f?.stop();
}, 60_000);

const ORDER_TIMEOUT = 30_000;

/** Console errors of every page (CSP violations, failed loads, script errors) fail the test that opened it. */
const consoleErrors: string[] = [];
async function newPage(): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
  return page;
}
afterEach(() => {
  const errors = consoleErrors.splice(0);
  expect(errors).toEqual([]);
});

async function openDemo(): Promise<Page> {
  const page = await newPage();
  await page.goto(`${f.baseUrl}/demo`);
  await page.locator('body[data-ready="true"]').waitFor();
  return page;
}

/** Adds one unit of a product, picks a test card and pays; returns the order id shown. */
async function checkout(page: Page, sku: string, card: string): Promise<string> {
  await page.locator(`li[data-sku="${sku}"] button`).click();
  await page.getByLabel(card).check();
  await page.getByRole('button', { name: 'Pay' }).click();
  const id = page.locator('#order-id').filter({ hasText: /^[0-9a-f-]{36}$/ });
  await id.waitFor({ timeout: ORDER_TIMEOUT });
  return (await id.textContent())!;
}

const statusIs = (page: Page, status: string) => page.locator('#order-status', { hasText: status }).waitFor({ timeout: ORDER_TIMEOUT });

describe('/demo storefront', () => {
  it('a visa order reaches CONFIRMED on screen, followed by long-poll (no polling loop)', async () => {
    const page = await openDemo();
    await withScreenshots(browser.context, 'demo-visa', async () => {
      await page.setViewportSize({ width: 1280, height: 760 });
      const orderGets: string[] = [];
      page.on('request', (r) => { if (/\/v1\/orders\/[0-9a-f-]{36}$/.test(r.url())) orderGets.push(r.headers()['prefer'] ?? ''); });
      const id = await checkout(page, 'CMP-MOUSE-03', 'Visa — succeeds');
      await statusIs(page, 'CONFIRMED');
      await page.locator('#steps li[data-state="done"]', { hasText: 'Payment captured' }).waitFor({ timeout: ORDER_TIMEOUT });
      const { data: order } = await f.client(await f.token('x', 'ops')).GET('/v1/orders/{id}', { params: { path: { id } } });
      expect(order).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' } });
      // Each GET is a long-poll (Prefer: wait) and there are few of them: it waits, it does not hammer.
      expect(orderGets.length).toBeGreaterThan(0);
      expect(orderGets.every((p) => /wait=\d+/.test(p))).toBe(true);
      expect(orderGets.length).toBeLessThan(10);
      // The client developer's view: the POST and its response are listed.
      await expect(page.locator('details.exchange summary', { hasText: 'POST /v1/orders → 202' }).count()).resolves.toBeGreaterThan(0);
      const violations = await axeAudit(page);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await documentationScreenshot(page, 'demo-storefront');
    }).finally(() => page.close());
  }, 60_000);

  it('a 3-D Secure order is completed through the sandbox challenge page and confirms', async () => {
    const page = await openDemo();
    await withScreenshots(browser.context, 'demo-3ds', async () => {
      await checkout(page, 'HOM-KETTLE-01', '3-D Secure required');
      await statusIs(page, 'AWAITING_PAYMENT_ACTION');
      await page.locator('dialog#challenge[open]').waitFor();
      const challenge = page.frameLocator('#challenge-frame');
      await challenge.getByRole('button', { name: 'Complete authentication' }).click();
      await statusIs(page, 'CONFIRMED');
      await expect(page.locator('dialog#challenge[open]').count()).resolves.toBe(0);
    }).finally(() => page.close());
  }, 60_000);

  it('cancel while 3-D Secure is pending: the order is CANCELLED and the button goes away', async () => {
    const page = await openDemo();
    await withScreenshots(browser.context, 'demo-cancel', async () => {
      await checkout(page, 'HOM-LAMP-03', '3-D Secure required');
      await statusIs(page, 'AWAITING_PAYMENT_ACTION');
      await page.locator('dialog#challenge[open]').waitFor();
      await page.getByRole('button', { name: 'Close' }).click();
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await statusIs(page, 'CANCELLED');
      await page.getByRole('button', { name: 'Cancel order' }).waitFor({ state: 'hidden' });
    }).finally(() => page.close());
  }, 60_000);

  it('a declined card shows the decline message', async () => {
    const page = await openDemo();
    await withScreenshots(browser.context, 'demo-declined', async () => {
      const id = await checkout(page, 'CMP-KEYBOARD-02', 'Declined card');
      await statusIs(page, 'PAYMENT_FAILED');
      const notice = page.locator('#order-message .notice.bad');
      await notice.waitFor();
      const { data: order } = await f.client(await f.token('x', 'ops')).GET('/v1/orders/{id}', { params: { path: { id } } });
      expect(order?.failure?.code).toBe('payment_declined');
      expect(await notice.textContent()).toBe(order?.failure?.message);
      await expect(page.getByRole('button', { name: 'Cancel order' }).isHidden()).resolves.toBe(true);
    }).finally(() => page.close());
  }, 60_000);
});

describe('/console/finance', () => {
  it('shows a seeded finding and downloads a CSV whose rows match the API; passes an accessibility audit', async () => {
    // A finding that needs a human, as reconciliation would record it.
    const conn = f.stack.orm.em.getConnection();
    const runId = randomUUID();
    const orderId = randomUUID();
    await conn.execute("insert into reconciliation_runs (id, trigger, status, window_start, window_end, checked, matched, findings_count, needs_human, finished_at) values (?, 'manual', 'COMPLETED', now() - interval '2 hours', now(), 7, 6, 1, 1, now())", [runId]);
    await conn.execute("insert into reconciliation_findings (run_id, kind, order_id, provider_reference, our_amount, provider_amount, currency, our_status, provider_status, action, needs_human) values (?, 'amount_mismatch', ?, 'pi_seeded_1', 2599, 2499, 'USD', 'CAPTURED', 'succeeded', 'none', true)", [runId, orderId]);

    const page = await newPage();
    await withScreenshots(browser.context, 'finance-console', async () => {
      await page.goto(`${f.baseUrl}/console/finance`);
      await page.locator('body[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Mint a development token' }).click();
      const row = page.locator('#findings tr[data-kind="amount_mismatch"]', { hasText: orderId.slice(0, 8) });
      await row.waitFor();
      expect(await row.textContent()).toMatch(/\$25\.99 \/ \$24\.99.*CAPTURED \/ succeeded.*Needs a human/);
      await page.locator(`#runs tr[data-run="${runId}"]`).waitFor();

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
      expect(download.suggestedFilename()).toBe('payment-ledger.csv');
      const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
      const finance = await f.token('fin-check', 'finance');
      const ledger = await f.client(finance).GET('/v1/finance/payments', { params: { query: { limit: 500 } } });
      // JSON unless CSV is asked for (the contract types both)
      if (!ledger.data || typeof ledger.data === 'string') throw new Error(`GET /v1/finance/payments → ${ledger.response.status}`);
      const api = ledger.data.data;
      expect(api.length).toBeGreaterThan(0); // the orders of the storefront tests are in the ledger
      const [header, ...rows] = csv;
      const col = (name: string) => header.indexOf(name);
      expect(rows.map((r) => ({ id: Number(r[col('id')]), orderId: r[col('order_id')] || null, type: r[col('type')], amount: r[col('amount')] === '' ? null : Number(r[col('amount')]) })))
        .toEqual(api.map((e) => ({ id: e.id, orderId: e.orderId, type: e.type, amount: e.amount })));

      const violations = await axeAudit(page);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await documentationScreenshot(page, 'finance-console');
    }).finally(() => page.close());
  }, 60_000);
});

describe('/docs (Swagger UI)', () => {
  it('renders the operations under the API\'s security headers (no CSP violation)', async () => {
    const page = await newPage();
    await page.goto(`${f.baseUrl}/docs/`);
    await page.locator('.opblock-summary-path', { hasText: '/v1/orders' }).first().waitFor({ timeout: 15_000 });
    await page.close();
  });
});

describe('development tokens', () => {
  it('mints tokens in development only: production has no such route', async () => {
    const minted = await f.client().POST('/v1/dev/tokens', { body: { roles: ['finance'], sub: 'fin-1' } });
    expect(minted.response.status).toBe(201);
    expect(minted.data).toMatchObject({ sub: 'fin-1', roles: ['finance'], token: expect.any(String) });
    expect((await f.client(minted.data!.token).GET('/v1/finance/findings')).response.status).toBe(200);
    // An app built in-process and never listening: supertest binds it for each request.
    const prod = f.appWith({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-of-some-length', STRIPE_API_BASE: 'stripe', STRIPE_WEBHOOK_SECRET: 'whsec_a_production_secret', PAYLOAD_CODEC_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}` });
    await supertest(prod).post('/v1/dev/tokens').send({ roles: ['finance'] }).expect(404);
    const cfg = await supertest(prod).get('/pages/config.json').expect(200);
    expect(cfg.body.devTokens).toBe(false);
  });
});
