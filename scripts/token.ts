// npm run token -- --sub <customer id> [--roles customer,ops,finance] [--ttl 1h]
// Prints a development JWT (HS256, AUTH_JWT_SECRET) on stdout, nothing else.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ConfigError, loadConfig } from '../src/infra/config.ts';

const HELP = `Usage: npm run token -- --sub <id> [--roles customer|ops|finance[,…]] [--ttl 1h]
Prints a JWT signed with AUTH_JWT_SECRET (HS256) for the local stack.
  --sub    the subject: a customer id (or an ops/finance user id)
  --roles  comma-separated roles (default: customer)
  --ttl    lifetime such as 15m, 1h, 7d (default: 1h)`;

const ROLES = ['customer', 'ops', 'finance'];

function fail(message: string): never {
  process.stderr.write(`✖ ${message}\n\n${HELP}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({ options: { sub: { type: 'string' }, roles: { type: 'string', default: 'customer' }, ttl: { type: 'string', default: '1h' }, help: { type: 'boolean', short: 'h' } } }).values;
} catch (err) {
  fail((err as Error).message);
}
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
if (!args.sub) fail('--sub is required');
const roles = args.roles!.split(',').map((r) => r.trim()).filter(Boolean);
const unknown = roles.filter((r) => !ROLES.includes(r));
if (roles.length === 0 || unknown.length) fail(`unknown role(s): ${unknown.join(', ') || '(none given)'}; use ${ROLES.join(', ')}`);
if (!/^\d+(s|m|h|d)$/.test(args.ttl!)) fail(`--ttl must look like 15m, 1h or 7d (got "${args.ttl}")`);

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (config.auth.algorithm !== 'HS256') fail('AUTH_JWT_ALGORITHM is RS256: tokens come from your identity provider, not from this script');

let jwt = new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(args.sub).setIssuedAt().setExpirationTime(args.ttl!);
if (config.auth.issuer) jwt = jwt.setIssuer(config.auth.issuer);
if (config.auth.audience) jwt = jwt.setAudience(config.auth.audience);
console.log(await jwt.sign(new TextEncoder().encode(config.auth.secret)));
