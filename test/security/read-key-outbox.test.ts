/**
 * The attack: a `read` key (made to feed a dashboard or an audit export: "admin GET", never a change) asks
 * /api/auth/password-reset for the administrator's login, then reads the reset link from the admin API's outbox
 * (where every message goes until a provider is configured, and where a test setup keeps them) and sets a password
 * of its own; the same goes for every sign-in, step-up and restore-access code that lands there. Reading the outbox
 * is as good as every write: a read key must not.
 *
 * Now the outbox's contents are for `admin` keys and admin sessions only; a read key gets FORBIDDEN and no message.
 */
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { adminClient, call, insertUser, json, unique } from '../helpers/worker';

async function outboxBodyTo(recipient: string): Promise<string> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const row = await env.DB.prepare('SELECT body FROM outbox WHERE recipient = ?').bind(recipient).first<{ body: string }>();
    if (row) return row.body;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nothing reached the outbox for ${recipient}`);
}

it("a read key cannot read the outbox, so it cannot take the admin's password-reset link", async () => {
  const email = `${unique('root')}@example.com`;
  const victim = await insertUser({ isAdmin: true, password: 'admin password 1', email });
  const read = await adminClient('read');
  expect((await call('/api/auth/password-reset', { method: 'POST', json: { login: victim.login } })).status).toBe(202);
  const link = /https:\/\/\S+/.exec(await outboxBodyTo(email))![0];

  const listed = await read.request(`/messaging/outbox?recipient=${encodeURIComponent(email)}`);
  const text = await listed.text();
  expect({ status: listed.status, code: JSON.parse(text).error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
  expect(text).not.toContain(link);
  // A read key still reads the rest of the messaging section, and an admin key the outbox (the admin center's page).
  expect((await read.request('/messaging/message-log')).status).toBe(200);
  const byAdmin = await json((await adminClient()).request(`/messaging/outbox?recipient=${encodeURIComponent(email)}`));
  expect(JSON.stringify(byAdmin.items)).toContain(link);
});
