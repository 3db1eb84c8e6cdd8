// What the typed client (client/: openapi-fetch) costs per request over a hand-built fetch,
// measured where nothing else costs anything: a local HTTP server that answers every request
// with the same small order (no Postgres, no Temporal). The benches place and read orders
// through the typed client; this says how much of their latency is the client itself.
//
//   node bench/client-overhead.ts [--requests 5000] [--rounds 5] [--concurrency 1,24]
//
// Four ways of sending the same POST /v1/orders, interleaved in rounds so drift in the
// machine's load (it is shared) falls on all of them alike:
//   fetch                 fetch(url, init), text() + JSON.parse — what the benches did before
//   typed client          createCheckoutClient(): openapi-fetch, a Request per call
//   typed client + token  the same with a token() (the package's middleware runs per call)
//   typed client, plain   createCheckoutClient({ plain: true }) — what the benches use
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createCheckoutClient, type CheckoutClient } from '../client/src/index.ts';
import { markdownTable, round, summarize } from './lib/report.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '1,24' } } });
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = values.concurrency.split(',').map(Number);

const order = JSON.stringify({ id: crypto.randomUUID(), status: 'PENDING', items: [{ sku: 'OUT-BOTTLE-03', quantity: 1 }], total: { amount: 2500, currency: 'USD' }, payment: { status: 'PENDING' } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json', etag: 'W/"1"', 'content-length': Buffer.byteLength(order) });
    res.end(order);
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const body = { items: [{ sku: 'OUT-BOTTLE-03', quantity: 1 }], paymentMethod: 'pm_card_visa' };
const auth = 'Bearer x.y.z';
const typedPost = (api: CheckoutClient, withAuth: boolean) => async (key: string) => {
  const { data, response } = await api.POST('/v1/orders', { params: { header: { 'idempotency-key': key } }, ...(withAuth ? { headers: { authorization: auth } } : {}), body, signal: AbortSignal.timeout(35_000) });
  return { status: response.status, body: data, etag: response.headers.get('etag') };
};

type Send = (key: string) => Promise<unknown>;
const ways: Record<string, Send> = {
  fetch: async (key) => {
    const r = await fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(35_000),
    });
    const text = await r.text();
    return { status: r.status, body: JSON.parse(text), etag: r.headers.get('etag') };
  },
  'typed client': typedPost(createCheckoutClient({ baseUrl: base }), true),
  'typed client + token': typedPost(createCheckoutClient({ baseUrl: base, token: () => 'x.y.z' }), false),
  'typed client, plain': typedPost(createCheckoutClient({ baseUrl: base, plain: true }), true),
};

/**
 * `concurrency` loops sending back to back until `REQUESTS` are done; µs per request of wall
 * time and of this process's CPU time (client + server; the CPU time barely moves with the
 * load of other processes on the machine, the wall time does).
 */
async function run(send: Send, concurrency: number): Promise<{ wall: number; cpu: number }> {
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < REQUESTS) await send(`k-${next++}`);
  }));
  const cpu = process.cpuUsage(cpu0);
  return { wall: ((performance.now() - t0) * 1000) / REQUESTS, cpu: (cpu.user + cpu.system) / REQUESTS };
}

const rows: (string | number)[][] = [];
const json: Record<string, unknown> = { requests: REQUESTS, rounds: ROUNDS };
for (const c of CONCURRENCY) {
  for (const send of Object.values(ways)) await run(send, c); // warm-up: JIT, keep-alive sockets
  const samples: Record<string, { wall: number; cpu: number }[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
  for (let i = 0; i < ROUNDS; i++) for (const [name, send] of Object.entries(ways)) samples[name].push(await run(send, c));
  const median = (name: string, k: 'wall' | 'cpu') => summarize(samples[name].map((x) => x[k])).p50;
  for (const name of Object.keys(samples)) {
    const [wall, cpu] = [median(name, 'wall'), median(name, 'cpu')];
    rows.push([c, name, wall, round(wall - median('fetch', 'wall')), cpu, round(cpu - median('fetch', 'cpu')), `×${round(cpu / median('fetch', 'cpu'), 2)}`]);
  }
  json[`concurrency${c}`] = samples;
}
server.closeAllConnections();
server.close();
console.log(`${REQUESTS} POST /v1/orders per round, ${ROUNDS} rounds; medians of the rounds, µs per request (client and server in this one process; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
console.log(markdownTable(['concurrency', 'client', 'wall µs', 'wall added', 'CPU µs', 'CPU added', 'CPU ratio'], rows));
console.log(`\n${JSON.stringify(json)}`);
