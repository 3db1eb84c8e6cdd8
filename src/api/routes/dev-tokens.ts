// POST /v1/dev/tokens — development only: mints a short-lived HS256 token so the demo pages
// (/demo, /console/finance) can be used without an identity provider. Mounted only when
// config.pages.devTokens is on (default outside production; config refuses it in production)
// and the API signs with HS256; otherwise the path is an ordinary 404.
import { SignJWT } from 'jose';
import type { Config } from '../../infra/config.ts';
import { parseOr400 } from '../middleware/problem.ts';
import { DevTokenBody } from '../schemas.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

const TTL_SECONDS = 3600;


export const devTokensEnabled = (config: Pick<Config, 'auth' | 'pages'>) => config.pages.devTokens && config.auth.algorithm === 'HS256';

export function devTokenRoutes(config: Pick<Config, 'auth' | 'pages'>): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
  if (!devTokensEnabled(config)) return routes;
  const key = new TextEncoder().encode(config.auth.secret);
  routes.on('mintDevToken', async (req, res) => {
    const body = parseOr400(DevTokenBody, req.body ?? {}, 'body');
    const sub = body.sub ?? `demo-${crypto.randomUUID().slice(0, 8)}`;
    const roles = [...new Set(body.roles)];
    const exp = Math.floor(Date.now() / 1000) + TTL_SECONDS;
    let jwt = new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuedAt().setExpirationTime(exp);
    if (config.auth.issuer) jwt = jwt.setIssuer(config.auth.issuer);
    if (config.auth.audience) jwt = jwt.setAudience(config.auth.audience);
    res.status(201).set('Cache-Control', 'no-store').json({ token: await jwt.sign(key), sub, roles, expiresAt: new Date(exp * 1000).toISOString() });
  });
  return routes;
}
