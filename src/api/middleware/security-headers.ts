// Security headers on every response, from helmet (maintained, tracks browser changes).
// The API answers JSON, so the policy is strict: nothing may frame it, load plugins or run
// inline code. Swagger UI at /docs puts <style> blocks in its page, so /docs alone also
// allows inline styles (scripts stay 'self'). The /demo and /console pages set a policy of
// their own per response (src/api/routes/pages.ts), which replaces this one.
import helmet from 'helmet';
import type { RequestHandler } from 'express';

const STRICT = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  // Plain HTTP on 127.0.0.1 in development: upgrading subresources to https would break the pages.
  upgradeInsecureRequests: null,
};

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: STRICT },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/** The same policy, plus inline styles, for Swagger UI. */
export function docsSecurityHeaders(): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: false, directives: { ...STRICT, styleSrc: ["'self'", "'unsafe-inline'"] } });
}
