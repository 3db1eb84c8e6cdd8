// Temporal connections (client side for the API, native side for workers), built from config.
import { readFile } from 'node:fs/promises';
import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config.ts';
import { dataConverterFor } from './payload-codec.ts';

async function tlsOptions(t: Config['temporal']) {
  if (!t.tls) return t.apiKey ? true : undefined;
  return {
    clientCertPair: { crt: await readFile(t.tls.certPath), key: await readFile(t.tls.keyPath!) },
    serverRootCACertificate: t.tls.caPath ? await readFile(t.tls.caPath) : undefined,
  };
}

/** A client whose payloads are encrypted with the codec keys (src/infra/payload-codec.ts). */
export async function connectClient(t: Config['temporal'], codec: Config['codec'], interceptors?: ClientInterceptors): Promise<Client> {
  const connection = await Connection.connect({
    address: t.address,
    tls: await tlsOptions(t),
    apiKey: t.apiKey,
    connectTimeout: '5s',
  });
  return new Client({ connection, namespace: t.namespace, dataConverter: dataConverterFor(codec), ...(interceptors ? { interceptors } : {}) });
}

export async function connectWorker(t: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect({ address: t.address, tls: await tlsOptions(t), apiKey: t.apiKey });
}
