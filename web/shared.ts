// Small helpers shared by the two pages (browser code, bundled by scripts/build-pages.ts).
import { createCheckoutClient, type CheckoutClient, type Exchange } from '../client/src/index.ts';

/** GET /pages/config.json: what the API tells its own pages about this deployment. */
export interface PageConfig {
  sandboxUrl: string | null;
  publishableKey: string | null;
  devTokens: boolean;
}

export async function loadPageConfig(): Promise<PageConfig> {
  const res = await fetch('/pages/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`page configuration unavailable (${res.status})`);
  return (await res.json()) as PageConfig;
}

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing`);
  return node as T;
};

type Child = Node | string | number | null | undefined | false;
/** Builds an element: h('td', { class: 'num' }, '12.00'). Text is always set as text (no HTML injection). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(typeof c === 'number' ? String(c) : c);
  return node;
}

export function money(amount: number | null | undefined, currency: string | null | undefined): string {
  if (amount === null || amount === undefined) return '—';
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency || 'USD' }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency ?? ''}`.trim();
  }
}

export const shortId = (id: string | null | undefined) => (id ? id.slice(0, 8) : '—');

/** A token kept for this tab only (sessionStorage). */
export function tokenStore(key: string) {
  return {
    get: () => sessionStorage.getItem(key) ?? undefined,
    set: (t: string) => sessionStorage.setItem(key, t),
    clear: () => sessionStorage.removeItem(key),
  };
}

/** Reads the `sub` claim of a JWT for display (not a verification: the API verifies). */
export function subjectOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string };
    return payload.sub;
  } catch {
    return undefined;
  }
}

/** Mints a development token (POST /v1/dev/tokens; only offered when the API enables it). */
export async function mintDevToken(api: CheckoutClient, roles: ('customer' | 'finance' | 'ops')[], sub?: string): Promise<string> {
  const { data, error, response } = await api.POST('/v1/dev/tokens', { body: { roles, ...(sub ? { sub } : {}) } });
  if (!data) throw new Error(`could not mint a development token (${response.status}${error && typeof error === 'object' ? `: ${error.detail}` : ''})`);
  return data.token;
}

export function client(token: () => string | undefined, onExchange?: (e: Exchange) => void): CheckoutClient {
  return createCheckoutClient({ token, onExchange });
}

export const problemText = (error: unknown, status: number): string =>
  error && typeof error === 'object' && 'detail' in error ? `${String((error as { detail: unknown }).detail)} (${status})` : `The API answered ${status}.`;
