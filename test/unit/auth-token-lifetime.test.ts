// Issue 11, finding 9: a bearer token must expire. Without `exp` it would be valid for ever;
// with an `exp` far away it is still refused once older (by `iat`) than AUTH_JWT_MAX_AGE.
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/infra/config.ts';
import { createVerifier } from '../../src/api/middleware/auth.ts';

const config = loadConfig({ AUTH_JWT_SECRET: 'a-test-secret-that-is-long-enough!!', AUTH_JWT_MAX_AGE: '1h' });
const key = new TextEncoder().encode(config.auth.secret);
const now = () => Math.floor(Date.now() / 1000);
const token = (claims: { iat?: number; exp?: number }) => {
  const jwt = new SignJWT({ roles: ['customer'] }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('alice');
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(key);
};

describe('finding 9: tokens expire', () => {
  const verify = createVerifier(config.auth);

  it('finding 9: accepts a fresh token with iat and exp', async () => {
    await expect(verify(await token({ iat: now(), exp: now() + 600 }))).resolves.toEqual({ sub: 'alice', roles: ['customer'] });
  });

  it('finding 9: refuses a token without exp (it would never expire) and one without iat (its age is unknown)', async () => {
    await expect(verify(await token({ iat: now() }))).rejects.toMatchObject({ status: 401 });
    await expect(verify(await token({ exp: now() + 600 }))).rejects.toMatchObject({ status: 401 });
  });

  it('finding 9: refuses a token older than AUTH_JWT_MAX_AGE even when its exp is years away', async () => {
    await expect(verify(await token({ iat: now() - 2 * 3600, exp: now() + 10 * 365 * 86_400 }))).rejects.toMatchObject({ status: 401 });
  });
});
