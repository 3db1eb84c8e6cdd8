// What Temporal stores is encrypted: an order placed through the API leaves no plaintext
// shipping address in the history the server holds, yet the Web UI's codec endpoint shows it
// decoded to the origins it trusts (and, when configured, to ops only).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import supertest from 'supertest';
import { ENCRYPTED_ENCODING } from '../../src/infra/payload-codec.ts';
import { orderBody, startApiFixture, type ApiFixture } from '../helpers/api.ts';

let f: ApiFixture;
let customer: string;
const address = { name: 'Grace Plaintext-Hopper', line1: '7 Cobol Close Apt 42', city: 'Arlington', postalCode: '22201', country: 'US' };
const secrets = [address.name, address.line1];

beforeAll(async () => {
  f = await startApiFixture();
  customer = await f.token('cust-codec', 'customer');
}, 120_000);
afterAll(async () => f?.stop());

/** Every byte string in a (raw, undecoded) history: payload data and metadata included. */
function byteStrings(value: unknown, out: Buffer[] = []): Buffer[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (Array.isArray(value)) value.forEach((v) => byteStrings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => byteStrings(v, out));
  else if (typeof value === 'string') out.push(Buffer.from(value));
  return out;
}
type RawPayload = { metadata: Record<string, Uint8Array>; data: Uint8Array; path: string };
/** Payload-shaped objects ({ metadata, data }) in a history, with where they sit. */
function payloads(value: unknown, path = '', out: RawPayload[] = []): RawPayload[] {
  if (Array.isArray(value)) value.forEach((v, i) => payloads(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') out.push({ ...(o as Omit<RawPayload, 'path'>), path });
    else Object.entries(o).forEach(([k, v]) => payloads(v, `${path}.${k}`, out));
  }
  return out;
}
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('payload encryption', () => {
  let history: unknown;

  it('the server stores no plaintext shipping address for an order placed through the API', async () => {
    const res = await f.http().post('/v1/orders').set('Authorization', `Bearer ${customer}`).set('Idempotency-Key', 'codec-order-1')
      .set('Prefer', 'wait=15').send({ ...orderBody(), shippingAddress: address });
    expect([201, 202]).toContain(res.status);
    const raw = await f.stack.client.connection.workflowService.getWorkflowExecutionHistory({
      namespace: f.stack.config.temporal.namespace, execution: { workflowId: `order-${res.body.id}` },
    });
    history = raw.history;
    const events = (raw.history?.events ?? []).length;
    expect(events).toBeGreaterThan(3);
    const everything = byteStrings(history);
    for (const secret of secrets) expect(everything.filter((b) => b.includes(secret))).toEqual([]);
    // Every payload is encrypted except search attributes, which the server must be able to
    // index (OrderId, CustomerId, statuses, total: no address among them, by design).
    const all = payloads(history).filter((p) => p.data.length > 0 && p.metadata.encoding);
    expect(all.filter((p) => !p.path.includes('.searchAttributes.')).length).toBeGreaterThan(3);
    const plain = all.filter((p) => Buffer.from(p.metadata.encoding!).toString() !== ENCRYPTED_ENCODING);
    // Patch markers (patched('…')) are written by the SDK's core, not through the codec: they hold
    // only the patch id, which is ours and public.
    const patchData = plain.filter((p) => p.path.includes('.markerRecordedEventAttributes.details.patch-data.'));
    for (const p of patchData) expect(Buffer.from(p.data).toString()).toMatch(/^\{"id":"\d{4}-\d{2}-[a-z0-9-]+","deprecated":(true|false)\}$/);
    expect(plain.filter((p) => !p.path.includes('.searchAttributes.indexedFields.') && !patchData.includes(p)).map((p) => p.path)).toEqual([]);
  });

  it('the codec endpoint decodes the stored payloads for the Web UI (CORS for its origin only)', async () => {
    const encrypted = payloads(history).filter((p) => Buffer.from(p.metadata.encoding ?? []).toString() === ENCRYPTED_ENCODING);
    const body = { payloads: encrypted.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, b64(v)])), data: b64(p.data) })) };
    const res = await f.http().post('/codec/decode').set('Origin', 'http://localhost:8233').set('X-Namespace', 'default').send(body).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    const decoded = res.body.payloads.map((p: { data: string }) => Buffer.from(p.data, 'base64').toString()).join('\n');
    expect(decoded).toContain(address.line1);

    const preflight = await f.http().options('/codec/decode').set('Origin', 'http://localhost:8233').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Namespace/);
    const stranger = await f.http().options('/codec/decode').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(stranger.status).toBe(403);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();

    // encode → decode round trip through the endpoint
    const plain = { payloads: [{ metadata: { encoding: b64(Buffer.from('json/plain')) }, data: b64(Buffer.from('"hello"')) }] };
    const enc = await f.http().post('/codec/encode').send(plain).expect(200);
    expect(Buffer.from(enc.body.payloads[0].metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const dec = await f.http().post('/codec/decode').send(enc.body).expect(200);
    expect(dec.body).toEqual(plain);
  });

  it('with PAYLOAD_CODEC_ENDPOINT_AUTH=ops only an ops token decodes', async () => {
    const app = f.appWith({ PAYLOAD_CODEC_ENDPOINT_AUTH: 'ops' });
    const body = { payloads: [{ metadata: { encoding: b64(Buffer.from('json/plain')) }, data: b64(Buffer.from('1')) }] };
    await supertest(app).post('/codec/decode').send(body).expect(401);
    await supertest(app).post('/codec/decode').set('Authorization', `Bearer ${customer}`).send(body).expect(403);
    const ops = await f.token('olga-codec', 'ops');
    await supertest(app).post('/codec/decode').set('Authorization', `Bearer ${ops}`).send(body).expect(200);
  });
});
