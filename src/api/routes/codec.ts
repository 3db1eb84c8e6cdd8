// The codec endpoint of the Temporal Web UI ("remote codec server"): the browser posts the
// encrypted payloads of a history to /codec/decode and shows what comes back; /codec/encode
// serves payloads typed into the UI (signals, starts). Same JSON shape both ways:
//   { "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }
// The UI runs on another origin, so the endpoint answers CORS preflights for the configured
// origins only. Decrypted payloads hold addresses: in production it requires an ops token
// (PAYLOAD_CODEC_ENDPOINT_AUTH=ops; the UI forwards its user's token with
// TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true).
import express, { Router, type RequestHandler } from 'express';
import * as z from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { Payload } from '@temporalio/common';
import type { Config } from '../../infra/config.ts';
import { AppError } from '../../infra/errors.ts';
import { createPayloadCodec, UnknownKeyError } from '../../infra/payload-codec.ts';
import { authenticate, requireRole, type Principal } from '../middleware/auth.ts';
import { Problem } from '../schemas.ts';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const Payloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
}).meta({ id: 'CodecPayloads', description: 'Temporal payloads as JSON: metadata values and data in base64' });
const body = Payloads;

type JsonPayload = z.infer<typeof body>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRoutes(deps: { config: Readonly<Config>; verify: (token: string) => Promise<Principal> }): Router {
  const router = Router();
  const codec = createPayloadCodec(deps.config.codec);
  const origins = new Set(deps.config.codec.corsOrigins);

  const cors: RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.status(origin && origins.has(origin) ? 204 : 403).end();
      return;
    }
    next();
  };
  const guard: RequestHandler[] = deps.config.codec.endpointAuth === 'ops' ? [authenticate(deps.verify), requireRole('ops')] : [];

  const handle = (op: 'encode' | 'decode'): RequestHandler => async (req, res) => {
    const parsed = body.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'invalid_request', 'Expected {"payloads": [{"metadata": {…base64}, "data": base64}]}.');
    try {
      const out = await codec[op](parsed.data.payloads.map(fromJson));
      res.json({ payloads: out.map(toJson) });
    } catch (err) {
      if (err instanceof UnknownKeyError) throw new AppError(422, 'unknown_codec_key', err.message);
      throw new AppError(422, 'undecodable_payload', 'A payload could not be decrypted (wrong key or tampered data).');
    }
  };

  router.use('/codec', cors);
  const json = express.json({ limit: '8mb', type: () => true });
  router.post('/codec/decode', ...guard, json, handle('decode'));
  router.post('/codec/encode', ...guard, json, handle('encode'));
  return router;
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
const codecOperation = (op: 'encode' | 'decode', summary: string) => ({
  post: {
    tags: ['ops'],
    operationId: `codec_${op}`,
    summary,
    description: 'Called by the Temporal Web UI (remote codec endpoint). Requires an ops token when PAYLOAD_CODEC_ENDPOINT_AUTH=ops (default in production).',
    requestBody: { required: true, content: { 'application/json': { schema: Payloads } } },
    responses: {
      200: { description: 'The payloads, decoded (or encoded) in order; payloads that were never encrypted come back unchanged', content: { 'application/json': { schema: Payloads } } },
      400: problem('invalid_request: not a payload list'),
      401: problem('unauthorized (PAYLOAD_CODEC_ENDPOINT_AUTH=ops)'),
      403: problem('forbidden: requires the role ops'),
      422: problem('unknown_codec_key or undecodable_payload'),
    },
  },
});

export const codecOpenApiPaths: ZodOpenApiPathsObject = {
  '/codec/decode': codecOperation('decode', 'Decrypt payloads for display in the Temporal Web UI'),
  '/codec/encode': codecOperation('encode', 'Encrypt payloads entered in the Temporal Web UI'),
};
