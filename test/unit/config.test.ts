// Config is read once and validated: defaults work on a fresh machine, bad values are
// reported all together by name, and .env.example documents every variable.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, envSchema, loadConfig } from '../../src/infra/config.ts';
import { parseDuration } from '../../src/contracts/index.ts';

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
    const prod = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-of-some-length', STRIPE_API_BASE: 'stripe', STRIPE_WEBHOOK_SECRET: 'whsec_a_production_secret', PAYLOAD_CODEC_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}` };
    expect(loadConfig(prod).pages.devTokens).toBe(false);
    expect(() => loadConfig({ ...prod, DEV_TOKENS: 'true' })).toThrow(/DEV_TOKENS/);
    expect(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_oops' })).toThrow(/STRIPE_PUBLISHABLE_KEY/);
  });

  describe('finding 9: production refuses unsafe defaults', () => {
    const prod = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-of-some-length', STRIPE_API_BASE: 'stripe', STRIPE_WEBHOOK_SECRET: 'whsec_a_production_secret', PAYLOAD_CODEC_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}` };

    it('finding 9: STRIPE_API_BASE must be set (no silent sandbox) and the public webhook secret is refused with real Stripe', () => {
      expect(loadConfig(prod).stripe.apiBase).toBeUndefined();
      const { STRIPE_API_BASE: _base, ...noBase } = prod;
      expect(() => loadConfig(noBase)).toThrow(/STRIPE_API_BASE/);
      const { STRIPE_WEBHOOK_SECRET: _secret, ...noSecret } = prod;
      expect(() => loadConfig(noSecret)).toThrow(/STRIPE_WEBHOOK_SECRET/);
      expect(() => loadConfig({ ...prod, STRIPE_WEBHOOK_SECRET: 'whsec_dev_sandbox_secret' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
      // A production-like stack on the sandbox (docker compose) says so explicitly, and may.
      expect(loadConfig({ ...prod, STRIPE_API_BASE: 'http://sandbox:12111', STRIPE_WEBHOOK_SECRET: 'whsec_dev_sandbox_secret' }).stripe.apiBase).toBe('http://sandbox:12111');
      // Development keeps its zero-config defaults.
      expect(loadConfig({}).stripe.webhookSecret).toBe('whsec_dev_sandbox_secret');
    });

    it('finding 9: an HS256 secret under 32 bytes is refused in production; tokens have a maximum age', () => {
      expect(() => loadConfig({ ...prod, AUTH_JWT_SECRET: 'only-twenty-seven-bytes-long' })).toThrow(/AUTH_JWT_SECRET/);
      expect(loadConfig({ AUTH_JWT_SECRET: 'sixteen-chars-ok' }).auth.secret).toBe('sixteen-chars-ok');
      expect(loadConfig({}).auth.maxAgeSeconds).toBe(86_400);
      expect(loadConfig({ AUTH_JWT_MAX_AGE: '15m' }).auth.maxAgeSeconds).toBe(900);
    });

    it('finding 9: TRUST_PROXY takes a hop count or addresses/CIDRs, never "true"', () => {
      expect(loadConfig({}).http.trustProxy).toBe(false);
      expect(loadConfig({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
      expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5' }).http.trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5']);
      expect(loadConfig({ TRUST_PROXY: 'loopback' }).http.trustProxy).toEqual(['loopback']);
      expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
      expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    });
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
