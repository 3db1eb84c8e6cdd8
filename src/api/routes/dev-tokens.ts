// POST /v1/dev/tokens — development only: mints a short-lived HS256 token so the demo pages
// (/demo, /console/finance) can be used without an identity provider. Mounted only when
// config.pages.devTokens is on (default outside production; config refuses it in production)
// and the API signs with HS256; otherwise the path is an ordinary 404.
import express from 'express';
import { SignJWT } from 'jose';
import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { Config } from '../../infra/config.ts';
import { ROLES } from '../middleware/auth.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { Problem } from '../schemas.ts';

const TTL_SECONDS = 3600;

export const DevTokenBody = z
  .strictObject({
    sub: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional().meta({ description: 'Subject (customer id or user id); default: a fresh demo customer' }),
    roles: z.array(z.enum(ROLES)).min(1).max(3).default(['customer']),
  })
  .meta({ id: 'DevTokenRequest' });

export const DevToken = z
  .object({ token: z.string(), sub: z.string(), roles: z.array(z.enum(ROLES)), expiresAt: z.string().meta({ format: 'date-time' }) })
  .meta({ id: 'DevToken' });

export const devTokensEnabled = (config: Pick<Config, 'auth' | 'pages'>) => config.pages.devTokens && config.auth.algorithm === 'HS256';

export function devTokenRoutes(config: Pick<Config, 'auth' | 'pages'>): express.Router {
  const router = express.Router();
  if (!devTokensEnabled(config)) return router;
  const key = new TextEncoder().encode(config.auth.secret);
  router.post('/v1/dev/tokens', async (req, res) => {
    const body = parseOr400(DevTokenBody, req.body ?? {}, 'body');
    const sub = body.sub ?? `demo-${crypto.randomUUID().slice(0, 8)}`;
    const roles = [...new Set(body.roles)];
    const exp = Math.floor(Date.now() / 1000) + TTL_SECONDS;
    let jwt = new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuedAt().setExpirationTime(exp);
    if (config.auth.issuer) jwt = jwt.setIssuer(config.auth.issuer);
    if (config.auth.audience) jwt = jwt.setAudience(config.auth.audience);
    res.status(201).set('Cache-Control', 'no-store').json({ token: await jwt.sign(key), sub, roles, expiresAt: new Date(exp * 1000).toISOString() });
  });
  return router;
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

export const devTokenOpenApiPaths: ZodOpenApiPathsObject = {
  '/v1/dev/tokens': {
    post: {
      tags: ['development'],
      operationId: 'dev_mint_token',
      summary: 'Mint a development token (dev only; 404 in production)',
      description: 'For the demo storefront and the finance console. Enabled by DEV_TOKENS (default outside production, refused in production) with HS256 signing.',
      requestBody: { required: false, content: { 'application/json': { schema: DevTokenBody } } },
      responses: {
        '201': { description: 'A token valid for one hour', content: { 'application/json': { schema: DevToken } } },
        '400': problem('`validation_failed`'),
        '404': problem('`not_found`: development tokens are disabled'),
        '429': problem('`rate_limited`'),
      },
    },
  },
};
