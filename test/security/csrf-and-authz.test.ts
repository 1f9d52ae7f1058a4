/**
 * Threats: a malicious site makes a signed-in admin's browser change data (CSRF); a non-admin or anonymous caller
 * reaches the admin API; a revoked key keeps working.
 */
import { describe, expect, it } from 'vitest';
import { adminClient, call, insertUser, json, signIn, unique } from '../helpers/worker';

describe('admin API access', () => {
  it('refuses anonymous callers and non-admin sessions', async () => {
    expect((await call('/api/admin/users')).status).toBe(401);
    const user = await insertUser({ password: 'long password 123' });
    const session = await signIn(user.login, 'long password 123');
    const response = await call('/api/admin/users', { headers: { cookie: session.cookie } });
    expect(response.status).toBe(403);
    expect((await json(response)).error.code).toBe('FORBIDDEN');
  });

  it('refuses a cookie-authenticated state change without the CSRF token, or from another origin', async () => {
    const admin = await insertUser({ password: 'long password 123', isAdmin: true });
    const session = await signIn(admin.login, 'long password 123');
    const body = { login: unique('x') };
    const noToken = await call('/api/admin/users', { method: 'POST', headers: { cookie: session.cookie }, json: body });
    expect(noToken.status).toBe(403);
    expect((await json(noToken)).error.code).toBe('CSRF_REJECTED');
    const wrongToken = await call('/api/admin/users', { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': '0'.repeat(64) }, json: body });
    expect(wrongToken.status).toBe(403);
    const crossOrigin = await call('/api/admin/users', { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, origin: 'https://evil.example' }, json: body });
    expect(crossOrigin.status).toBe(403);
    const list = await json(call(`/api/admin/users?search=${body.login}`, { headers: { cookie: session.cookie } }));
    expect(list.total).toBe(0);
    const ok = await call('/api/admin/users', { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, origin: 'https://id.example.test' }, json: body });
    expect(ok.status).toBe(201);
  });

  it('refuses a cross-site sign-in form post (login CSRF)', async () => {
    const user = await insertUser({ password: 'long password 123' });
    const response = await call('/api/auth/login', { method: 'POST', headers: { origin: 'https://evil.example' }, json: { login: user.login, password: 'long password 123' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('a revoked API key stops working at once', async () => {
    const admin = await adminClient();
    const created = await admin.post('/api-keys', { name: 'temp', scope: 'read' });
    expect((await call('/api/admin/users', { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(200);
    await admin.request(`/api-keys/${created.id}`, { method: 'DELETE' });
    expect((await call('/api/admin/users', { headers: { authorization: `Bearer ${created.key}` } })).status).toBe(401);
  });

  it('sessions end at sign-out', async () => {
    const admin = await insertUser({ password: 'long password 123', isAdmin: true });
    const session = await signIn(admin.login, 'long password 123');
    expect((await call('/api/admin/users', { headers: { cookie: session.cookie } })).status).toBe(200);
    await call('/api/auth/logout', { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } });
    expect((await call('/api/admin/users', { headers: { cookie: session.cookie } })).status).toBe(401);
  });
});
