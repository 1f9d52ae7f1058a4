/**
 * Helpers for the self-service portal tests inside workerd: a portal with chosen actions, a browser-like portal
 * client (cookie + CSRF token), users assigned to the portal's resource, and the codes the outbox received.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { adminClient, call, insertUser, json, unique } from './worker';

export const ALL_ACTIONS = [
  'registerNewToken', 'registerExistingToken', 'reassignToken', 'unassignToken', 'synchronizeToken', 'setupPin', 'removePin',
  'createPassword', 'changePassword', 'changeEmail', 'changePhone', 'changeLogin', 'changeName', 'manageEnvironment',
];

export type AdminClient = Awaited<ReturnType<typeof adminClient>>;

export async function portalWith(actions: string[], tokenTypes = ['TOTP', 'HOTP']) {
  const admin = await adminClient();
  const resource = await admin.post('/resources', { name: unique('Portal-') });
  const alias = unique('p-').toLowerCase();
  const response = await admin.request(`/resources/${resource.id}/self-service`, { method: 'PUT', json: { enabled: true, alias, actions, tokenTypes } });
  expect(response.status).toBe(200);
  const saved = await json(response);
  expect(saved.portalUrl).toBe(`https://id.example.test/selfservice/${alias}`);
  return { admin, resource, alias };
}

/**
 * A browser-like client for one portal: keeps the cookie and CSRF token. `ip` sets the client address the Worker
 * sees (cf-connecting-ip), for tests where the per-IP limits must or must not be shared.
 */
export function portalClient(alias: string, options: { ip?: string } = {}) {
  let cookie = '';
  let csrf = '';
  const send = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { origin: 'https://id.example.test' };
    if (options.ip) headers['cf-connecting-ip'] = options.ip;
    if (cookie) headers.cookie = cookie;
    if (csrf) headers['x-csrf-token'] = csrf;
    const response = await call(`/api/portal/${alias}${path}`, { method, headers, ...(body !== undefined ? { json: body } : {}) });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie?.includes('eid_portal=')) cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : null;
    if (parsed?.csrfToken) csrf = parsed.csrfToken;
    return { status: response.status, body: parsed };
  };
  return {
    send,
    async signIn(login: string, password: string) {
      const start = await send('POST', '/signin', { login });
      return send('POST', '/signin/password', { flow: start.body.flow, password });
    },
    get cookie() {
      return cookie;
    },
  };
}

export async function assignedUser(admin: AdminClient, resourceId: string, options: { password?: string | null; email?: string } = {}) {
  const user = await insertUser({ password: options.password === undefined ? 'portal password 1' : options.password, email: options.email ?? null });
  await admin.put(`/resources/${resourceId}/assignments`, { userId: user.id });
  return user;
}

/**
 * The code in the newest email to `to`. Sign-in and restore-access codes go out after the response (waitUntil, so
 * the answer cannot reveal whether one was sent): this waits for one to land, and with `except` for a newer one.
 */
export async function lastEmailCode(to: string, options: { except?: string } = {}): Promise<string> {
  // A plain poll, not vi.waitFor: that one advances faked clocks, and the brute-force tests pin Date.
  for (let waited = 0; waited < 10_000; waited += 20) {
    const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT 1').bind(to).first<{ body: string }>();
    const code = row ? /\b(\d{6})\b/.exec(row.body)?.[1] : undefined;
    if (code && code !== options.except) return code;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${options.except ? 'new ' : ''}email code to ${to} arrived`);
}
