// /demo — a storefront checkout on the typed client: catalog with live availability, cart,
// test cards, the order's progress by long-poll (ETag + Prefer: wait), 3-D Secure from
// payment.action (sandbox challenge page offline, Stripe.js with a real publishable key),
// cancel while allowed, and every request/response shown for client developers.
import { SETTLED, paymentActionOf, type Exchange, type Order, type Product } from '../client/src/index.ts';
import { $, client, h, loadPageConfig, mintDevToken, money, problemText, subjectOf, tokenStore, type PageConfig } from './shared.ts';

const LONG_POLL_SECONDS = 25;
const tokens = tokenStore('demo.customer-token');
const api = client(() => tokens.get(), showExchange);
const cart = new Map<string, { product: Product; quantity: number }>();
let products: Product[] = [];
let cfg: PageConfig;
let current: { order: Order; etag?: string; following: boolean } | undefined;
let challengeOpenFor: string | undefined;

// ---------- API calls panel ----------

function showExchange(e: Exchange): void {
  const path = e.url.replace(location.origin, '');
  const request = [`${e.method} ${path}`, ...Object.entries(e.requestHeaders).map(([k, v]) => `${k}: ${v}`), ...(e.requestBody ? ['', pretty(e.requestBody)] : [])].join('\n');
  const response = [`HTTP ${e.status}`, ...Object.entries(e.responseHeaders ?? {}).map(([k, v]) => `${k}: ${v}`), ...(e.responseBody ? ['', pretty(e.responseBody)] : [])].join('\n');
  const item = h('details', { class: 'exchange' }, h('summary', {}, `${e.method} ${path} → ${e.status} (${e.ms} ms)`), h('pre', {}, `${request}\n\n${response}`));
  const list = $('exchanges');
  list.prepend(item);
  while (list.childElementCount > 40) list.lastElementChild?.remove();
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// ---------- catalog and cart ----------

async function loadCatalog(): Promise<void> {
  const { data, error, response } = await api.GET('/v1/products', { params: { query: { limit: 100 } } });
  if (!data) {
    $('catalog-status').textContent = `Could not load the catalog: ${problemText(error, response.status)}`;
    return;
  }
  products = data.data;
  $('catalog-status').textContent = `${products.length} products · availability as of ${new Date().toLocaleTimeString()}`;
  const list = $('products');
  list.replaceChildren(...products.map((p) => {
    const qtyId = `qty-${p.sku}`;
    const qty = h('input', { id: qtyId, type: 'number', min: '1', max: String(Math.max(1, Math.min(1000, p.available))), value: '1', inputmode: 'numeric' });
    const add = h('button', { type: 'button', disabled: p.available <= 0, 'data-sku': p.sku }, 'Add to cart');
    add.setAttribute('aria-label', `Add to cart: ${p.name}`);
    add.addEventListener('click', () => addToCart(p, Number(qty.value) || 1));
    return h('li', { 'data-sku': p.sku },
      h('span', { class: 'name' }, p.name),
      h('span', { class: 'muted' }, `${p.brand} · ${p.category}`),
      h('span', {}, money(p.price.amount, p.price.currency)),
      h('span', { class: p.available > 0 ? 'badge ok' : 'badge bad', 'data-available': String(p.available) }, p.available > 0 ? `${p.available} available` : 'Out of stock'),
      h('span', { class: 'row' }, h('label', { for: qtyId }, 'Qty'), qty, add));
  }));
}

function addToCart(product: Product, quantity: number): void {
  const line = cart.get(product.sku);
  cart.set(product.sku, { product, quantity: Math.min(1000, (line?.quantity ?? 0) + quantity) });
  renderCart();
}

function renderCart(): void {
  const lines = [...cart.values()];
  $('cart-empty').hidden = lines.length > 0;
  $('cart-table').hidden = lines.length === 0;
  $<HTMLButtonElement>('pay').disabled = lines.length === 0 || !tokens.get() || Boolean(current?.following);
  $('cart-lines').replaceChildren(...lines.map(({ product, quantity }) => {
    const remove = h('button', { type: 'button', class: 'secondary' }, 'Remove');
    remove.setAttribute('aria-label', `Remove ${product.name}`);
    remove.addEventListener('click', () => { cart.delete(product.sku); renderCart(); });
    return h('tr', {}, h('td', {}, product.name), h('td', { class: 'num' }, quantity), h('td', { class: 'num' }, money(product.price.amount * quantity, product.price.currency)), h('td', {}, remove));
  }));
  const currency = lines[0]?.product.price.currency ?? 'USD';
  $('cart-total').textContent = money(lines.reduce((s, l) => s + l.product.price.amount * l.quantity, 0), currency);
}

// ---------- placing and following an order ----------

async function pay(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const paymentMethod = (new FormData(event.target as HTMLFormElement).get('card') as string) || 'pm_card_visa';
  const items = [...cart.values()].map((l) => ({ sku: l.product.sku, quantity: l.quantity }));
  if (!items.length) return;
  $<HTMLButtonElement>('pay').disabled = true;
  // One key per attempt: a retry of this very request (network error) would reuse it.
  const key = crypto.randomUUID();
  const { data, error, response } = await api.POST('/v1/orders', { params: { header: { 'idempotency-key': key } }, body: { items, paymentMethod } });
  if (!data) {
    showOrderMessage(`The order was not accepted: ${problemText(error, response.status)}`, 'bad');
    $('order-section').hidden = false;
    renderCart();
    return;
  }
  current = { order: data, etag: response.headers.get('etag') ?? undefined, following: true };
  cart.clear();
  renderCart();
  renderOrder();
  void follow(data.id);
}

/** Long-poll: If-None-Match + Prefer: wait — the API answers as soon as the order changes (304 after the wait). */
async function follow(id: string): Promise<void> {
  let failures = 0;
  while (current && current.order.id === id && current.following) {
    const { data, response } = await api.GET('/v1/orders/{id}', {
      params: { path: { id }, header: { ...(current.etag ? { 'if-none-match': current.etag } : {}), prefer: `wait=${LONG_POLL_SECONDS}` } },
      cache: 'no-store',
    }).catch(() => ({ data: undefined, response: undefined }));
    if (!current || current.order.id !== id) return;
    if (response?.status === 304) { failures = 0; continue; }
    if (!data || !response) {
      failures += 1; // network or server trouble: back off, never hammer
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** failures)));
      continue;
    }
    failures = 0;
    current.order = data;
    current.etag = response.headers.get('etag') ?? undefined;
    if (isFinal(data)) current.following = false;
    renderOrder();
  }
  renderCart();
}

/** Nothing more will happen on its own: failed/cancelled, or confirmed with the money captured. */
const isFinal = (o: Order) => (SETTLED.has(o.status) && o.status !== 'CONFIRMED') || (o.status === 'CONFIRMED' && o.payment.status !== 'AUTHORIZED' && o.payment.status !== 'PENDING');

type StepState = 'done' | 'active' | 'failed' | 'todo';
function steps(o: Order): [string, StepState][] {
  const failed = o.status === 'REJECTED' || o.status === 'PAYMENT_FAILED' || o.status === 'CANCELLED';
  const paid = ['AUTHORIZED', 'CAPTURED', 'REFUNDED'].includes(o.payment.status) || o.status === 'CONFIRMED';
  const reserved = paid || o.payment.status !== 'PENDING' || o.status === 'AWAITING_PAYMENT_ACTION';
  const at = (done: boolean, activeNow: boolean, failedHere: boolean): StepState => (done ? 'done' : failedHere ? 'failed' : activeNow ? 'active' : 'todo');
  return [
    ['Order accepted (PENDING)', 'done'],
    ['Stock reserved', at(reserved, !failed, o.failure?.code === 'out_of_stock')],
    [o.status === 'AWAITING_PAYMENT_ACTION' ? 'Payment: waiting for 3-D Secure' : 'Payment authorized', at(paid, reserved && !failed, failed && reserved && !paid)],
    ['Order CONFIRMED', at(o.status === 'CONFIRMED' || (o.status === 'CANCELLED' && paid), paid && !failed, false)],
    ['Payment captured', at(o.payment.status === 'CAPTURED' || o.payment.status === 'REFUNDED', o.status === 'CONFIRMED', false)],
  ];
}

function renderOrder(): void {
  if (!current) return;
  const o = current.order;
  $('order-section').hidden = false;
  $('order-id').textContent = o.id;
  const status = $('order-status');
  status.textContent = o.status;
  status.className = `badge ${o.status === 'CONFIRMED' ? 'ok' : SETTLED.has(o.status) ? 'bad' : 'wait'}`;
  $('payment-status').textContent = `payment ${o.payment.status}${o.payment.reference ? ` · ${o.payment.reference}` : ''} · total ${money(o.total.amount, o.total.currency)}`;
  $('steps').replaceChildren(...steps(o).map(([label, state]) => h('li', { 'data-state': state }, `${state === 'done' ? '✓ ' : state === 'failed' ? '✗ ' : ''}${label}`)));
  if (o.failure) showOrderMessage(o.failure.message, 'bad', o.failure.code);
  else if (o.status === 'CONFIRMED') showOrderMessage(o.payment.status === 'CAPTURED' ? 'Thank you! Your order is confirmed and paid.' : 'Your order is confirmed.', 'ok');
  else $('order-message').replaceChildren();
  $('cancel').hidden = !(o.status === 'PENDING' || o.status === 'AWAITING_PAYMENT_ACTION');
  $('authenticate').hidden = o.status !== 'AWAITING_PAYMENT_ACTION';
  $('new-order').hidden = !isFinal(o);
  if (o.status === 'AWAITING_PAYMENT_ACTION' && challengeOpenFor !== o.id) void startAuthentication(o);
  if (o.status !== 'AWAITING_PAYMENT_ACTION') closeChallenge();
  if (isFinal(o)) void loadCatalog(); // availability changed
}

function showOrderMessage(text: string, kind: 'ok' | 'bad', code?: string): void {
  $('order-message').replaceChildren(h('p', { class: `notice ${kind}`, 'data-code': code }, text));
}

// ---------- 3-D Secure ----------

/**
 * Opens the authentication step. In order of preference: the URL the API gives in
 * payment.action.redirectUrl; Stripe.js handleNextAction with a real publishable key; the
 * sandbox's challenge page for the PaymentIntent (from the client secret, or — for an API
 * that does not expose payment.action yet — the payment reference).
 */
async function startAuthentication(o: Order): Promise<void> {
  challengeOpenFor = o.id;
  const action = paymentActionOf(o);
  if (action && !action.redirectUrl && cfg.publishableKey) {
    await stripeHandleNextAction(cfg.publishableKey, action.clientSecret).catch((err: Error) => showOrderMessage(`3-D Secure could not start: ${err.message}`, 'bad'));
    return;
  }
  const intent = action?.clientSecret.split('_secret_')[0] ?? o.payment.reference;
  const url = action?.redirectUrl ?? (cfg.sandboxUrl && intent ? `${cfg.sandboxUrl}/_sandbox/3ds/${encodeURIComponent(intent)}` : undefined);
  if (!url) {
    showOrderMessage('This order needs 3-D Secure, but the API gave no way to open it yet. It stays on hold until the deadline.', 'bad');
    return;
  }
  // The page's CSP frames only the sandbox; any other authentication page opens in its own
  // window (a popup blocker may hold it until the customer presses "Complete 3-D Secure").
  const framable = cfg.sandboxUrl !== null && new URL(url, location.href).origin === new URL(cfg.sandboxUrl).origin;
  if (!framable) {
    window.open(url, '_blank', 'noopener');
    showOrderMessage('Complete the authentication in the window that opened; this page updates by itself.', 'ok');
    return;
  }
  $<HTMLIFrameElement>('challenge-frame').src = url;
  const dialog = $<HTMLDialogElement>('challenge');
  if (!dialog.open) dialog.showModal();
}

function closeChallenge(): void {
  const dialog = $<HTMLDialogElement>('challenge');
  if (dialog.open) dialog.close();
}

interface StripeJs { handleNextAction(opts: { clientSecret: string }): Promise<{ error?: { message?: string } }> }
async function stripeHandleNextAction(publishableKey: string, clientSecret: string): Promise<void> {
  const w = window as unknown as { Stripe?: (key: string) => StripeJs };
  if (!w.Stripe) {
    await new Promise<void>((resolve, reject) => {
      const s = h('script', { src: 'https://js.stripe.com/v3/' });
      s.addEventListener('load', () => resolve());
      s.addEventListener('error', () => reject(new Error('Stripe.js did not load')));
      document.head.append(s);
    });
  }
  const result = await w.Stripe!(publishableKey).handleNextAction({ clientSecret });
  if (result.error) throw new Error(result.error.message ?? 'authentication failed');
}

// ---------- start ----------

async function cancelOrder(): Promise<void> {
  if (!current) return;
  const { data, error, response } = await api.POST('/v1/orders/{id}/cancel', { params: { path: { id: current.order.id } }, body: {} });
  if (!data) { showOrderMessage(`Could not cancel: ${problemText(error, response.status)}`, 'bad'); return; }
  current.order = data;
  current.etag = undefined;
  renderOrder();
}

async function signIn(): Promise<void> {
  if (!tokens.get() && cfg.devTokens) tokens.set(await mintDevToken(api, ['customer']));
  const token = tokens.get();
  $('signin').hidden = Boolean(token);
  $('who').textContent = token ? `Signed in as ${subjectOf(token) ?? 'customer'}${cfg.devTokens ? ' (development token)' : ''}` : 'Not signed in';
  renderCart();
}

async function start(): Promise<void> {
  cfg = await loadPageConfig();
  $('pay-form').addEventListener('submit', (e) => void pay(e as SubmitEvent));
  $('cancel').addEventListener('click', () => void cancelOrder());
  $('authenticate').addEventListener('click', () => { if (current) void startAuthentication(current.order); });
  $('challenge-close').addEventListener('click', () => closeChallenge());
  $('new-order').addEventListener('click', () => { current = undefined; challengeOpenFor = undefined; $('order-section').hidden = true; renderCart(); });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    tokens.set($<HTMLInputElement>('token-input').value.trim());
    void signIn();
  });
  // The sandbox's challenge page tells us when it is done; the long-poll brings the new status.
  window.addEventListener('message', (e) => {
    if (cfg.sandboxUrl && e.origin === new URL(cfg.sandboxUrl).origin && (e.data as { type?: string })?.type === 'sandbox-3ds-done') closeChallenge();
  });
  window.addEventListener('focus', () => { if (!current?.following) void loadCatalog(); });
  await signIn();
  await loadCatalog();
  document.body.dataset.ready = 'true';
}

void start().catch((err: Error) => { $('catalog-status').textContent = `The page could not start: ${err.message}`; });
