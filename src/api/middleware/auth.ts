// Bearer JWT authentication (jose). HS256 with AUTH_JWT_SECRET in development; RS256 via a
// JWKS endpoint when configured. Unsigned (`alg: none`) tokens never verify: the accepted
// algorithm list is fixed. Issuer/audience are checked when configured.
import type { Request, RequestHandler } from 'express';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../../infra/config.ts';
import { AppError } from '../../infra/errors.ts';

export const ROLES = ['customer', 'ops', 'finance'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  sub: string;
  roles: Role[];
}

declare module 'express-serve-static-core' {
  interface Locals {
    principal?: Principal;
    requestId?: string;
    orderId?: string;
  }
}

const unauthorized = (detail: string, error = 'invalid_token') =>
  new AppError(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': `Bearer realm="checkout", error="${error}"` } });

export function createVerifier(auth: Config['auth']): (token: string) => Promise<Principal> {
  const key: Uint8Array | JWTVerifyGetKey =
    auth.algorithm === 'RS256' ? createRemoteJWKSet(new URL(auth.jwksUrl!), { timeoutDuration: 3000, cooldownDuration: 30_000 }) : new TextEncoder().encode(auth.secret);
  // A token without `exp` would never expire: exp and iat are required, and a token older than
  // the maximum age is refused whatever its exp says.
  const options = { algorithms: [auth.algorithm], issuer: auth.issuer, audience: auth.audience, clockTolerance: 5, requiredClaims: ['exp', 'iat'], maxTokenAge: auth.maxAgeSeconds ?? 86_400 };
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, options));
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw unauthorized(code === 'ERR_JWT_EXPIRED' ? 'The token has expired.' : 'The bearer token is not valid.');
    }
    const sub = payload.sub;
    const roles = payload.roles;
    if (typeof sub !== 'string' || sub.length < 1 || sub.length > 255 || !/^[\x21-\x7E]+$/.test(sub)) throw unauthorized('The token has no valid `sub` claim.');
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => (ROLES as readonly unknown[]).includes(r))) {
      throw unauthorized('The token `roles` claim must be a non-empty subset of customer, ops, finance.');
    }
    return { sub, roles: [...new Set(roles as Role[])] };
  };
}

/** Authenticates every request under it; the principal lands in res.locals.principal. */
export function authenticate(verify: (token: string) => Promise<Principal>): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    if (!header) throw unauthorized('Send `Authorization: Bearer <token>`.', 'invalid_request');
    const m = /^Bearer ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*\.[A-Za-z0-9\-_]*)$/.exec(header);
    if (!m || header.length > 8192) throw unauthorized('The Authorization header must be `Bearer <JWT>`.');
    res.locals.principal = await verify(m[1]);
    next();
  };
}

export const principalOf = (res: { locals: { principal?: Principal } }): Principal => {
  const p = res.locals.principal;
  if (!p) throw unauthorized('Authentication required.', 'invalid_request');
  return p;
};

export const hasRole = (p: Principal, ...roles: Role[]) => roles.some((r) => p.roles.includes(r));

/** 403 unless the caller holds one of the roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (_req: Request, res, next) => {
    if (!hasRole(principalOf(res), ...roles)) throw new AppError(403, 'forbidden', `This endpoint requires the role ${roles.join(' or ')}.`);
    next();
  };
}

/** Authenticates unless an upstream middleware already did (createApp mounts its own auth in front of the routers). */
export function ensureAuthenticated(config: Pick<Config, 'auth'>): RequestHandler {
  const auth = authenticate(createVerifier(config.auth));
  return (req, res, next) => (res.locals.principal ? next() : auth(req, res, next));
}
