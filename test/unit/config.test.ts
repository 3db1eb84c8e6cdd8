// Config is read once and validated: defaults work on a fresh machine, bad values are
// reported all together by name, and .env.example documents every variable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, envSchema, loadConfig, parseDuration } from '../../src/infra/config.ts';

describe('config', () => {
  it('works with no environment at all (fresh-machine defaults)', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.stripe.apiBase).toBe('http://127.0.0.1:12111');
    expect(c.worker.pools).toEqual(['checkout', 'inventory', 'payments', 'orders']);
  });

  it('names every invalid variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', PAYMENT_ACTION_TIMEOUT: 'soon', DATABASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    expect(issues).toMatch(/PORT/);
    expect(issues).toMatch(/PAYMENT_ACTION_TIMEOUT/);
    expect(issues).toMatch(/DATABASE_URL/);
  });

  it('refuses the development JWT secret in production and RS256 without a JWKS URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_JWT_SECRET/);
    expect(() => loadConfig({ AUTH_JWT_ALGORITHM: 'RS256' })).toThrow(/AUTH_JWKS_URL/);
  });

  it('development tokens (POST /v1/dev/tokens): on outside production, off in production, refused there when asked for', () => {
    expect(loadConfig({}).pages.devTokens).toBe(true);
    expect(loadConfig({ DEV_TOKENS: 'false' }).pages.devTokens).toBe(false);
    const prod = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-of-some-length', PAYLOAD_CODEC_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}` };
    expect(loadConfig(prod).pages.devTokens).toBe(false);
    expect(() => loadConfig({ ...prod, DEV_TOKENS: 'true' })).toThrow(/DEV_TOKENS/);
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_oops' })).toThrow(/STRIPE_PUBLISHABLE_KEY/);
  });

  it('"stripe" as STRIPE_API_BASE means the real Stripe API', () => {
    expect(loadConfig({ STRIPE_API_BASE: 'stripe' }).stripe.apiBase).toBeUndefined();
  });

  it('parses durations', () => {
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(() => parseDuration('1 week')).toThrow();
  });

  it('.env.example lists every variable of the schema', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = Object.keys(envSchema.shape).filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });
});
