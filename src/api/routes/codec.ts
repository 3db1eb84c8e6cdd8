// The codec endpoint of the Temporal Web UI ("remote codec server"): the browser posts the
// encrypted payloads of a history to /codec/decode and shows what comes back; /codec/encode
// serves payloads typed into the UI (signals, starts). Same JSON shape both ways:
//   { "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }
// The UI runs on another origin, so the endpoint answers CORS preflights for the configured
// origins only. Decrypted payloads hold addresses: in production it requires an ops token
// (PAYLOAD_CODEC_ENDPOINT_AUTH=ops; the UI forwards its user's token with
// TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true).
import express, { type RequestHandler } from 'express';
import * as z from 'zod';
import type { Payload } from '@temporalio/common';
import type { Config } from '../../infra/config.ts';
import { AppError } from '../../infra/errors.ts';
import { createPayloadCodec, UnknownKeyError } from '../../infra/payload-codec.ts';
import { authenticate, requireRole, type Principal } from '../middleware/auth.ts';
import { CodecPayloads } from '../schemas.ts';
import { RouteBindings } from '../routing.ts';
import type { RouteName } from './table.ts';

type JsonPayload = z.infer<typeof CodecPayloads>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/** CORS for the Web UI's origin(s), on every /codec request (preflights included). */
export function codecCors(config: Pick<Config, 'codec'>): RequestHandler {
  const origins = new Set(config.codec.corsOrigins);
  return (req, res, next) => {
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
}

export function codecRoutes(deps: { config: Readonly<Config>; verify: (token: string) => Promise<Principal> }): RouteBindings<RouteName> {
  const routes = new RouteBindings<RouteName>();
  const codec = createPayloadCodec(deps.config.codec);

  const guard: RequestHandler[] = deps.config.codec.endpointAuth === 'ops' ? [authenticate(deps.verify), requireRole('ops')] : [];

  const handle = (op: 'encode' | 'decode'): RequestHandler => async (req, res) => {
    const parsed = CodecPayloads.safeParse(req.body);
    if (!parsed.success) throw new AppError(400, 'invalid_request', 'Expected {"payloads": [{"metadata": {…base64}, "data": base64}]}.');
    try {
      const out = await codec[op](parsed.data.payloads.map(fromJson));
      res.json({ payloads: out.map(toJson) });
    } catch (err) {
      if (err instanceof UnknownKeyError) throw new AppError(422, 'unknown_codec_key', err.message);
      throw new AppError(422, 'undecodable_payload', 'A payload could not be decrypted (wrong key or tampered data).');
    }
  };

  const json = express.json({ limit: '8mb', type: () => true });
  routes.on('codecDecode', ...guard, json, handle('decode'));
  routes.on('codecEncode', ...guard, json, handle('encode'));
  return routes;
}
