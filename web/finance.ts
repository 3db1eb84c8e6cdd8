// /console/finance — reconciliation runs and findings, charts (findings per run, captured vs
// refunded per day), the payment ledger with filters and its CSV, and "run reconciliation
// now"; all through the typed client, signed in with a finance token.
import { $, client, h, loadPageConfig, mintDevToken, money, problemText, shortId, subjectOf, tokenStore } from './shared.ts';

/** Finance lists answer JSON or CSV (by Accept); these calls asked for JSON. */
const asJson = <T>(data: T | string | undefined): T | undefined => (typeof data === 'string' ? undefined : data);

const tokens = tokenStore('finance.token');
const api = client(() => tokens.get());
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' }) : '—');

function ledgerQuery() {
  const form = new FormData($<HTMLFormElement>('ledger-filters'));
  const text = (k: string) => String(form.get(k) ?? '').trim() || undefined;
  const source = text('source') as 'api_call' | 'webhook' | 'reconciliation' | undefined;
  return { orderId: text('orderId'), type: text('type'), source, limit: 500 };
}

async function signIn(token: string): Promise<boolean> {
  tokens.set(token);
  const { response, error } = await api.GET('/v1/finance/reconciliations', { params: { query: { limit: 1 } } });
  if (!response.ok) {
    tokens.clear();
    $('signin-message').replaceChildren(h('span', { class: 'notice bad' }, `Sign-in refused: ${problemText(error, response.status)}`));
    return false;
  }
  $('signin-message').replaceChildren();
  $('signin').hidden = true;
  $('console').hidden = false;
  $('who').textContent = `Signed in as ${subjectOf(token) ?? 'finance'}`;
  await refresh();
  return true;
}

async function refresh(): Promise<void> {
  await Promise.all([loadRuns(), loadFindings(), loadLedger()]);
  document.body.dataset.loaded = String(Date.now());
}

async function loadRuns(): Promise<void> {
  const { data } = await api.GET('/v1/finance/reconciliations', { params: { query: { limit: 20 } } });
  const runs = asJson(data)?.data ?? [];
  $('runs').replaceChildren(...runs.map((r) => h('tr', { 'data-run': r.id },
    h('td', {}, when(r.startedAt)), h('td', {}, r.trigger), h('td', {}, h('span', { class: `badge ${r.status === 'COMPLETED' ? 'ok' : r.status === 'FAILED' ? 'bad' : 'wait'}` }, r.status)),
    h('td', { class: 'num' }, r.checked), h('td', { class: 'num' }, r.matched), h('td', { class: 'num' }, r.findingsCount), h('td', { class: 'num' }, r.needsHuman))));
  if (!runs.length) $('runs').replaceChildren(h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No reconciliation run yet.')));
  $('runs-chart').replaceChildren(barChart('Findings per run (oldest → newest)', [...runs].reverse().map((r) => ({ label: new Date(r.startedAt).toLocaleTimeString('en-GB'), values: [r.findingsCount - r.needsHuman, r.needsHuman] })), [['Repaired or informational', '#2563eb'], ['Needs a human', '#b91c1c']]));
}

async function loadFindings(): Promise<void> {
  const open = $<HTMLInputElement>('findings-open').checked || undefined;
  const needsHuman = $<HTMLInputElement>('findings-human').checked || undefined;
  const { data } = await api.GET('/v1/finance/findings', { params: { query: { limit: 100, ...(open ? { open: 'true' } : {}), ...(needsHuman ? { needsHuman: 'true' } : {}) } } });
  const findings = asJson(data)?.data ?? [];
  $('findings').replaceChildren(...findings.map((f) => h('tr', { 'data-finding': String(f.id), 'data-kind': f.kind },
    h('td', {}, when(f.createdAt)), h('td', {}, f.kind), h('td', {}, f.orderId ? h('code', { title: f.orderId }, shortId(f.orderId)) : '—'),
    h('td', { class: 'num' }, `${money(f.ourAmount, f.currency)} / ${money(f.providerAmount, f.currency)}`),
    h('td', {}, `${f.ourStatus ?? '—'} / ${f.providerStatus ?? '—'}`),
    h('td', {}, f.needsHuman && !f.resolvedAt
      ? h('span', { class: 'badge bad' }, 'Needs a human')
      : h('span', { class: 'badge ok' }, f.actionOutcome ? `Repaired: ${f.action} → ${f.actionOutcome}` : f.resolvedAt ? 'Resolved' : `No action (${f.action})`)))));
  if (!findings.length) $('findings').replaceChildren(h('tr', {}, h('td', { colspan: '6', class: 'muted' }, 'No findings.')));
}

async function loadLedger(): Promise<void> {
  const result = await api.GET('/v1/finance/payments', { params: { query: ledgerQuery() } });
  const page = asJson(result.data);
  if (!page) { $('ledger-status').textContent = `Could not load the ledger: ${problemText(result.error, result.response.status)}`; return; }
  const rows = page.data;
  $('ledger-status').textContent = `${rows.length} entries${page.nextCursor ? ' (first 500)' : ''}`;
  $('ledger').replaceChildren(...rows.map((e) => h('tr', { 'data-entry': String(e.id) },
    h('td', {}, when(e.createdAt)), h('td', {}, e.orderId ? h('code', { title: e.orderId }, shortId(e.orderId)) : '—'), h('td', {}, e.type), h('td', {}, e.source),
    h('td', {}, e.providerReference ?? '—'), h('td', { class: 'num' }, money(e.amount, e.currency)), h('td', {}, e.status ?? '—'))));
  // Captured vs refunded per day, from the ledger's capture and refund entries.
  const days = new Map<string, [number, number]>();
  for (const e of rows) {
    const kind = e.type === 'payment_intent.captured' ? 0 : e.type === 'refund.created' ? 1 : undefined;
    if (kind === undefined || !e.amount) continue;
    const day = e.createdAt.slice(0, 10);
    const v = days.get(day) ?? [0, 0];
    v[kind] += e.amount / 100;
    days.set(day, v);
  }
  $('money-chart').replaceChildren(barChart('Captured vs refunded per day', [...days.entries()].sort().map(([day, v]) => ({ label: day, values: v })), [['Captured', '#15803d'], ['Refunded', '#b45309']], true));
}

/** A small stacked (or grouped) SVG bar chart with a text alternative. */
function barChart(title: string, bars: { label: string; values: number[] }[], series: [string, string][], grouped = false): HTMLElement {
  const W = 640, H = 160, pad = 24;
  const box = h('figure', { style: undefined });
  const caption = h('figcaption', { class: 'legend' }, ...series.map(([name, colour]) => h('span', {}, h('span', { class: 'swatch', 'data-colour': colour }), name)));
  caption.querySelectorAll<HTMLElement>('.swatch').forEach((s) => { s.style.background = s.dataset.colour!; });
  if (!bars.length) { box.append(h('p', { class: 'muted' }, `${title}: no data yet.`)); return box; }
  const max = Math.max(1, ...bars.map((b) => (grouped ? Math.max(...b.values) : b.values.reduce((a, c) => a + c, 0))));
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + pad}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${title}: ${bars.map((b) => `${b.label} ${b.values.map((v, i) => `${series[i][0]} ${Math.round(v * 100) / 100}`).join(', ')}`).join('; ')}`);
  const slot = (W - pad) / bars.length;
  const width = Math.max(4, Math.min(48, slot * 0.7));
  bars.forEach((b, i) => {
    let y = H;
    b.values.forEach((v, s) => {
      const height = (v / max) * (H - 10);
      const rect = document.createElementNS(NS, 'rect');
      const x = pad + i * slot + (grouped ? (s * width) / b.values.length : 0);
      rect.setAttribute('x', String(x));
      rect.setAttribute('width', String(grouped ? width / b.values.length : width));
      rect.setAttribute('y', String(grouped ? H - height : y - height));
      rect.setAttribute('height', String(height));
      rect.setAttribute('fill', series[s][1]);
      svg.append(rect);
      if (!grouped) y -= height;
    });
    const text = document.createElementNS(NS, 'text');
    text.setAttribute('x', String(pad + i * slot));
    text.setAttribute('y', String(H + 16));
    text.textContent = b.label;
    svg.append(text);
  });
  box.append(svg, caption);
  return box;
}

async function downloadCsv(): Promise<void> {
  const { data, error, response } = await api.GET('/v1/finance/payments', { params: { query: ledgerQuery() }, headers: { accept: 'text/csv' }, parseAs: 'text' });
  if (data === undefined) { $('ledger-status').textContent = `CSV download failed: ${problemText(error, response.status)}`; return; }
  const url = URL.createObjectURL(new Blob([String(data)], { type: 'text/csv' }));
  const a = h('a', { href: url, download: 'payment-ledger.csv' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function runNow(): Promise<void> {
  const button = $<HTMLButtonElement>('run-now');
  button.disabled = true;
  try {
    const { data, error, response } = await api.POST('/v1/finance/reconciliations', { body: {} });
    if (!data) { $('run-status').textContent = `Could not start: ${problemText(error, response.status)}`; return; }
    $('run-status').textContent = `Run ${shortId(data.id)} started…`;
    await loadRuns();
    // A run has no change feed: check once a second, for at most a minute.
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const run = await api.GET('/v1/finance/reconciliations/{id}', { params: { path: { id: data.id } } });
      const status = asJson(run.data)?.status;
      if (status && status !== 'RUNNING') { $('run-status').textContent = `Run ${shortId(data.id)} ${status.toLowerCase()}.`; break; }
    }
    await refresh();
  } finally {
    button.disabled = false;
  }
}

async function start(): Promise<void> {
  const cfg = await loadPageConfig();
  $('dev-token').hidden = !cfg.devTokens;
  $('dev-token').addEventListener('click', () => void mintDevToken(api, ['finance'], 'finance-demo').then(signIn, (err: Error) => {
    $('signin-message').replaceChildren(h('span', { class: 'notice bad' }, err.message));
  }));
  $('token-form').addEventListener('submit', (e) => { e.preventDefault(); void signIn($<HTMLInputElement>('token-input').value.trim()); });
  $('ledger-filters').addEventListener('submit', (e) => { e.preventDefault(); void loadLedger(); });
  $('download-csv').addEventListener('click', () => void downloadCsv());
  $('run-now').addEventListener('click', () => void runNow());
  for (const id of ['findings-open', 'findings-human']) $(id).addEventListener('change', () => void loadFindings());
  const saved = tokens.get();
  if (saved) await signIn(saved);
  document.body.dataset.ready = 'true';
}

void start();
