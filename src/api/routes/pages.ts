// The two pages people look at, served as static files by the API:
//   /demo              storefront checkout (catalog, cart, test cards, live order progress, 3-D Secure)
//   /console/finance   reconciliation runs and findings, charts, payment ledger, CSV, "run now"
// Their scripts are prebuilt bundles committed under src/pages/static/ (built from web/ and
// the typed client in client/ by `npm run pages:build`; a test fails when they are stale), so
// serving them needs no build tool at run time. The routers are mounted under a path, so they
// are not part of the HTTP contract (and not in /openapi.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { type Response } from 'express';
import type { Config } from '../../infra/config.ts';
import { devTokensEnabled } from './dev-tokens.ts';

const STATIC_DIR = fileURLToPath(new URL('../../pages/static/', import.meta.url));

/** What the pages need to know about this deployment (read by web/ at start). */
export interface PageConfig {
  /** The offline payment sandbox's base URL (its 3-D Secure challenge page), or null with real Stripe. */
  sandboxUrl: string | null;
  /** A Stripe publishable key: 3-D Secure then runs through Stripe.js handleNextAction. */
  publishableKey: string | null;
  /** POST /v1/dev/tokens is available (development). */
  devTokens: boolean;
}

export function pageConfig(config: Pick<Config, 'auth' | 'stripe' | 'pages'>): PageConfig {
  return { sandboxUrl: config.stripe.apiBase ?? null, publishableKey: config.pages.stripePublishableKey ?? null, devTokens: devTokensEnabled(config) };
}

function securityHeaders(res: Response, cfg: PageConfig): void {
  const frames = [cfg.sandboxUrl, cfg.publishableKey ? 'https://js.stripe.com https://hooks.stripe.com' : null].filter(Boolean).join(' ');
  res.set({
    'Content-Security-Policy': [
      "default-src 'self'",
      `script-src 'self'${cfg.publishableKey ? ' https://js.stripe.com' : ''}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      `frame-src ${frames || "'none'"}`,
      "base-uri 'none'",
      "form-action 'self'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

export function pageRoutes(config: Pick<Config, 'auth' | 'stripe' | 'pages' | 'env'>): { demo: express.Router; console: express.Router; assets: express.Router } {
  const cfg = pageConfig(config);
  // In development the HTML is re-read on every request (edit, reload); elsewhere once.
  const cache = new Map<string, string>();
  const html = (name: string) => {
    const hit = config.env === 'development' ? undefined : cache.get(name);
    if (hit) return hit;
    const text = readFileSync(`${STATIC_DIR}${name}`, 'utf8');
    cache.set(name, text);
    return text;
  };
  const page = (name: string) => (_req: express.Request, res: Response) => {
    securityHeaders(res, cfg);
    res.type('html').set('Cache-Control', 'no-cache').send(html(name));
  };

  const demo = express.Router({ strict: false });
  demo.get('/', page('demo.html'));

  const consoleRouter = express.Router();
  consoleRouter.get('/finance', page('finance.html'));

  const assets = express.Router();
  assets.get('/config.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(cfg);
  });
  assets.use(express.static(STATIC_DIR, { index: false, extensions: [], setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  return { demo, console: consoleRouter, assets };
}
