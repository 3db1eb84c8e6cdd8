// The payload codec: AES-256-GCM, the key id in the payload metadata, rotation (encrypt with
// the first key, decrypt with any), plain payloads passed through, tampering detected, and the
// configuration that feeds it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig, parseCodecKeys } from '../../src/infra/config.ts';
import { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, UnknownKeyError } from '../../src/infra/payload-codec.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = (b?: Uint8Array | null) => Buffer.from(b ?? []).toString('utf8');
const address = { name: 'Ada Lovelace', line1: '12 Analytical Engine Row', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

describe('AesGcmCodec', () => {
  it('encrypts a payload: no plaintext left, key id and encoding in the metadata, round-trips exactly', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const plain = defaultPayloadConverter.toPayload({ shippingAddress: address, customerId: 'cust-42' });
    const [encrypted] = await codec.encode([plain]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(text(encrypted!.data)).not.toContain('Analytical');
    expect(text(encrypted!.data)).not.toContain('cust-42');
    const [decoded] = await codec.decode([encrypted!]);
    expect(decoded).toEqual({ metadata: plain.metadata, data: plain.data });
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ shippingAddress: address, customerId: 'cust-42' });
  });

  it('uses a fresh IV per payload (same input, different ciphertext)', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const p = defaultPayloadConverter.toPayload('same');
    const [a, b] = await codec.encode([p, p]);
    expect(Buffer.compare(Buffer.from(a!.data!), Buffer.from(b!.data!))).not.toBe(0);
  });

  it('rotation: the new key encrypts, payloads under the old key still decrypt, a retired key is a clear error', async () => {
    const old = key('2026-01');
    const next = key('2026-07');
    const [underOld] = await new AesGcmCodec([old]).encode([defaultPayloadConverter.toPayload('before rotation')]);
    const rotated = new AesGcmCodec([next, old]);
    const [underNew] = await rotated.encode([defaultPayloadConverter.toPayload('after rotation')]);
    expect(text(underNew!.metadata![KEY_ID_METADATA])).toBe('2026-07');
    const decoded = await rotated.decode([underOld!, underNew!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['before rotation', 'after rotation']);
    await expect(new AesGcmCodec([next]).decode([underOld!])).rejects.toThrow(UnknownKeyError);
  });

  it('passes payloads that were never encrypted through decode unchanged (recorded histories replay)', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const plain = defaultPayloadConverter.toPayload({ orderId: 'o-1' });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('detects tampering and a payload relabelled to another key id', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const codec = new AesGcmCodec([k1, k2]);
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload('amount: 1000')]);
    const flipped = Buffer.from(enc!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...enc!, data: flipped }])).rejects.toThrow();
    const relabelled = { ...enc!, metadata: { ...enc!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow();
  });
});

describe('PAYLOAD_CODEC_KEYS', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('is on by default with a development key, first key current', () => {
    const c = loadConfig({});
    expect(c.codec.keys).toHaveLength(1);
    expect(c.codec.keys[0]!.key).toHaveLength(32);
    expect(c.codec.endpointAuth).toBe('none');
    const two = loadConfig({ PAYLOAD_CODEC_KEYS: `new:${b64()}, old:${b64()}` });
    expect(two.codec.keys.map((k) => k.id)).toEqual(['new', 'old']);
  });

  it('names bad keys, and production refuses the development key (and guards the codec endpoint)', () => {
    expect(() => parseCodecKeys(`k:${randomBytes(16).toString('base64')}`)).toThrow(/32/);
    expect(() => parseCodecKeys('nokey')).toThrow(/key id/);
    expect(() => parseCodecKeys(`a:${b64()},a:${b64()}`)).toThrow(/twice/);
    expect(() => loadConfig({ PAYLOAD_CODEC_KEYS: 'k:short' })).toThrow(/PAYLOAD_CODEC_KEYS/);
    const prod = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'a-production-secret-of-at-least-32-bytes', STRIPE_API_BASE: 'stripe', STRIPE_WEBHOOK_SECRET: 'whsec_a_production_secret' };
    expect(() => loadConfig(prod)).toThrow(/PAYLOAD_CODEC_KEYS: the development key/);
    expect(loadConfig({ ...prod, PAYLOAD_CODEC_KEYS: `prod-1:${b64()}` }).codec.endpointAuth).toBe('ops');
  });
});
