/** /login for admins: password, then the OTP once they have a token. */
import { describe, expect, it } from 'vitest';
import { adminClient, call, insertUser, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';

describe('platform sign-in', () => {
  it('signs in with password only while the user has no token', async () => {
    const user = await insertUser({ password: 'long password 1', isAdmin: true });
    const response = await call('/api/auth/login', { method: 'POST', json: { login: user.login.toUpperCase(), password: 'long password 1' } });
    const body = await json(response);
    expect(body.state).toBe('signed_in');
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-eid_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await json(call('/api/auth/me', { headers: { cookie: cookie.split(';')[0]! } }));
    expect(me.user.login).toBe(user.login);
    expect(me.user).not.toHaveProperty('passwordHash');
  });

  it('asks for the OTP once the admin has a token, and accepts it once', async () => {
    const admin = await adminClient();
    const user = await insertUser({ password: 'long password 1', isAdmin: true });
    const seed = randomSeedBase32();
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('A'), seed, ownerUserId: user.id });
    const first = await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'long password 1' } }));
    expect(first).toMatchObject({ state: 'second_factor', methods: ['otp'] });
    const wrong = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: '000000' } });
    expect((await json(wrong)).error.code).toBe('OTP_INVALID');
    const code = await totpAt(seed, Date.now());
    const ok = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: code } });
    expect((await json(ok)).state).toBe('signed_in');
    // The challenge cannot be used again.
    const again = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: code } });
    expect((await json(again)).error.code).toBe('CODE_EXPIRED');
  });

  it('voids the second-factor step after a few wrong codes', async () => {
    const admin = await adminClient();
    const user = await insertUser({ password: 'long password 1' });
    const seed = randomSeedBase32();
    await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('A'), seed, ownerUserId: user.id });
    const first = await json(call('/api/auth/login', { method: 'POST', json: { login: user.login, password: 'long password 1' } }));
    for (let i = 0; i < 5; i++) await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: `00000${i}` } });
    const late = await call('/api/auth/login/second-factor', { method: 'POST', json: { challenge: first.challenge, otp: await totpAt(seed, Date.now()) } });
    expect((await json(late)).error.code).toBe('CODE_EXPIRED');
  });
});

describe('GET /api/auth/saml-status', () => {
  it('offers SAML sign-in only when an applied configuration allows it', async () => {
    const { env } = await import('cloudflare:workers');
    const status = async () => (await (await call('/api/auth/saml-status')).json<{ available: boolean }>()).available;
    expect(await status()).toBe(false);
    await env.DB.batch([
      env.DB.prepare("INSERT INTO saml_config_versions (version, yaml, config, allow_sign_in, saved_at) VALUES (901, 'v', '{}', 1, 0), (902, 'v', '{}', 0, 0)"),
      env.DB.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('saml.appliedVersion', '902', 0) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    ]);
    expect(await status()).toBe(false);
    await env.DB.prepare("UPDATE settings SET value = '901' WHERE key = 'saml.appliedVersion'").run();
    expect(await status()).toBe(true);
    await env.DB.batch([env.DB.prepare("DELETE FROM settings WHERE key = 'saml.appliedVersion'"), env.DB.prepare('DELETE FROM saml_config_versions WHERE version IN (901, 902)')]);
  });
});
