// The sandbox's 3-D Secure challenge page, like Stripe's test authentication page: a
// customer (or a browser test) completes or fails authentication of a PaymentIntent that
// is in requires_action. Shown in an iframe/popup by the demo storefront, or opened with a
// return_url to come back to. Completing it is the same as POST
// /_sandbox/payment_intents/:id/authenticate (events and webhooks follow).
import express, { type Response } from 'express';
import type { WebhookDelivery } from './delivery.ts';
import { SandboxApiError } from './objects.ts';
import type { SandboxStore } from './store.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Only http(s) URLs are followed after the challenge (no javascript: and the like). */
function safeReturnUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

function page(res: Response, status: number, title: string, body: string): void {
  res.status(status).type('html').set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Payment sandbox</title>
<style>
 body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; color: #1a1a1a; margin: 0; padding: 1.25rem; background: #fff; }
 h1 { font-size: 1.15rem; margin: 0 0 .5rem; } p { margin: .4rem 0; } .muted { color: #4a4a4a; }
 form { display: flex; gap: .75rem; margin-top: 1rem; flex-wrap: wrap; }
 button { font: inherit; padding: .5rem 1rem; border-radius: 6px; cursor: pointer; border: 1px solid #1d4ed8; }
 .complete { background: #1d4ed8; color: #fff; } .fail { background: #fff; color: #991b1b; border-color: #991b1b; }
 button:focus-visible, a:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
 .box { border: 1px solid #c9ccd1; border-radius: 8px; padding: 1rem; max-width: 28rem; }
</style></head><body><main class="box">${body}</main></body></html>`);
}

export function challengeRoutes(store: SandboxStore, delivery: WebhookDelivery): express.Router {
  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '10kb' }));

  router.get('/3ds/:id', async (req, res) => {
    const id = String(req.params.id);
    const returnUrl = safeReturnUrl(req.query.return_url);
    const row = await store.tx((c) => store.getIntent(c, id)).catch(() => undefined);
    if (!row) return page(res, 404, 'Unknown payment', `<h1>Unknown payment</h1><p>No PaymentIntent ${escape(id)} in this sandbox.</p>`);
    const amount = `${(Number(row.data.amount) / 100).toFixed(2)} ${String(row.data.currency).toUpperCase()}`;
    if (row.status !== 'requires_action') {
      return page(res, 409, 'Nothing to authenticate', `<h1>Nothing to authenticate</h1><p>This payment is <strong>${escape(row.status)}</strong>; only a payment waiting for 3-D Secure can be authenticated.</p>`);
    }
    page(res, 200, '3-D Secure test page', `<h1>3-D Secure authentication (test)</h1>
<p>Payment of <strong>${escape(amount)}</strong> · <span class="muted">${escape(id)}</span></p>
<p class="muted">This is the payment sandbox's test page. Choose what your bank would do.</p>
<form method="post" action="/_sandbox/3ds/${encodeURIComponent(id)}">
${returnUrl ? `<input type="hidden" name="return_url" value="${escape(returnUrl)}">` : ''}
<button class="complete" type="submit" name="outcome" value="succeed">Complete authentication</button>
<button class="fail" type="submit" name="outcome" value="fail">Fail authentication</button>
</form>`);
  });

  router.post('/3ds/:id', async (req, res) => {
    const id = String(req.params.id);
    const outcome = req.body?.outcome === 'fail' ? 'fail' : req.body?.outcome === 'succeed' ? 'succeed' : undefined;
    if (!outcome) return page(res, 400, 'Choose an outcome', '<h1>Choose an outcome</h1><p>Send outcome=succeed or outcome=fail.</p>');
    try {
      await store.tx((c) => store.authenticate(c, id, outcome));
    } catch (err) {
      if (err instanceof SandboxApiError) return page(res, err.status, 'Not authenticated', `<h1>Not authenticated</h1><p>${escape(String(err.body.message ?? 'The payment cannot be authenticated.'))}</p>`);
      throw err;
    }
    delivery.kick();
    const returnUrl = safeReturnUrl(req.body?.return_url);
    if (returnUrl) return res.redirect(303, returnUrl);
    const done = outcome === 'succeed' ? 'Authentication complete' : 'Authentication failed';
    // Tell an embedding page (the demo storefront's dialog) that the challenge is over.
    page(res, 200, done, `<h1 id="done" data-outcome="${outcome}">${done}</h1><p>You can close this window; the shop continues on its own.</p>
<script>window.parent !== window && window.parent.postMessage({ type: 'sandbox-3ds-done', outcome: ${JSON.stringify(outcome)}, paymentIntent: ${JSON.stringify(id)} }, '*');</script>`);
  });
  return router;
}
