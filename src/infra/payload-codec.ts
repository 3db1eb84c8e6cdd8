// Payload encryption for everything Temporal stores (workflow inputs, results, activity
// arguments, signals, updates, memos): shipping addresses and customer ids never reach the
// server in clear text. AES-256-GCM per payload with a fresh 96-bit IV; the key id travels in
// the payload metadata so keys can rotate: encode always uses the current (first) key, decode
// any configured key. Payloads that were never encrypted (histories recorded before the codec,
// the replay fixtures) pass through decode unchanged.
//
// Used by the API's client, every worker and the tests (via dataConverterFor), and by the codec
// HTTP endpoint the Temporal Web UI calls to show decoded payloads (src/api/routes/codec.ts).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import protos from '@temporalio/proto';
import type { CodecKey, Config } from './config.ts';

const { Payload: PayloadProto } = protos.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

export class UnknownKeyError extends Error {
  constructor(id: string | undefined) {
    super(`payload was encrypted with key "${id ?? '?'}", which is not configured (PAYLOAD_CODEC_KEYS)`);
    this.name = 'UnknownKeyError';
  }
}

export class AesGcmCodec implements PayloadCodec {
  readonly currentKeyId: string;
  private readonly current: CodecKey;
  private readonly keys: Map<string, Buffer>;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new Error('AesGcmCodec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`codec key "${k.id}" must be 32 bytes (AES-256), got ${k.key.length}`);
    this.current = keys[0]!;
    this.currentKeyId = this.current.id;
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  encrypt(payload: Payload): Payload {
    const plain = PayloadProto.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated too: a payload cannot be relabelled to another key.
    cipher.setAAD(utf8(this.current.id));
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.current.id), [CIPHER_METADATA]: utf8(CIPHER) },
      data,
    };
  }

  decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = id === undefined ? undefined : this.keys.get(id);
    if (!key) throw new UnknownKeyError(id);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8(id!));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    const decoded = PayloadProto.decode(plain);
    return { metadata: decoded.metadata ?? {}, data: decoded.data ?? new Uint8Array() };
  }
}

export function createPayloadCodec(codec: Config['codec']): AesGcmCodec {
  return new AesGcmCodec(codec.keys);
}

/** The data converter every client and worker of this platform uses. */
export function dataConverterFor(codec: Config['codec']): DataConverter {
  return { payloadCodecs: [createPayloadCodec(codec)] };
}
