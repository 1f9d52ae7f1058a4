/**
 * A PASSKEY token in the admin center: listed with its WebAuthn facts, disabled and deleted like any token, and
 * never treated as a seed token. Each test opens with the attack (or the mistake) it shows refused.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { softwareAuthenticator } from '../helpers/software-authenticator';
import { adminClient, call, insertUser, json, ORIGIN, signIn } from '../helpers/worker';

async function userWithPasskey() {
  const user = await insertUser();
  const session = await signIn(user.login, user.password);
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrfToken, origin: ORIGIN };
  const authenticator = softwareAuthenticator({ origin: ORIGIN });
  const { options } = await json(call('/api/profile/passkeys/options', { method: 'POST', headers, json: {} }));
  const passkey = await json(call('/api/profile/passkeys', { method: 'POST', headers, json: { credential: await authenticator.register(options), name: 'Phone' } }));
  return { user, authenticator, passkey };
}

const passwordless = async (authenticator: ReturnType<typeof softwareAuthenticator>) => {
  const { flow, options } = await json(call('/api/auth/passkey/options', { method: 'POST', json: {} }));
  return call('/api/auth/passkey', { method: 'POST', json: { flow, credential: await authenticator.authenticate(options) } });
};

describe('PASSKEY tokens in the admin API', () => {
  it('lists a passkey with its facts and no seed, and refuses every seed and code operation on it', async () => {
    // Mistake / attack: an admin (or a leaked admin key) asks a passkey for its seed-bound operations: a check that
    // would pass without the device, a PIN that would be asked nowhere, a resync, a code sent.
    const admin = await adminClient();
    const { user, passkey } = await userWithPasskey();
    const listed = await admin.get(`/tokens?ownerUserId=${user.id}`);
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({
      id: passkey.id,
      type: 'PASSKEY',
      description: 'Phone',
      hasPin: false,
      recoveryCodes: null,
      passkey: { aaguid: '00000000-0000-0000-0000-000000000000', transports: ['internal'], backupEligible: true, backedUp: true, signCount: 0, suspiciousAt: null },
    });
    expect(JSON.stringify(listed)).not.toMatch(/secret|publicKey|public_key/i);

    for (const [path, method, body] of [
      [`/tokens/${passkey.id}/check`, 'POST', { otp: '123456' }],
      [`/tokens/${passkey.id}/resync`, 'POST', { otp1: '123456', otp2: '234567' }],
      [`/tokens/${passkey.id}/send-code`, 'POST', {}],
      [`/tokens/${passkey.id}/pin`, 'PUT', { pin: '1234' }],
      [`/tokens/${passkey.id}`, 'PATCH', { ownerUserId: (await insertUser()).id }],
    ] as const) {
      const response = await admin.request(path, { method, json: body });
      expect([path, response.status, (await json(response)).error?.code]).toEqual([path, 400, 'TOKEN_TYPE_MISMATCH']);
    }
    expect(await env.DB.prepare('SELECT owner_user_id, pin_hash FROM tokens WHERE id = ?').bind(passkey.id).first()).toEqual({ owner_user_id: user.id, pin_hash: null });
  });

  it('a passkey the admin disabled no longer signs in; deleted, its credential is gone', async () => {
    // Attack: the user reported the phone stolen; the thief signs in with its passkey.
    const admin = await adminClient();
    const { authenticator, passkey } = await userWithPasskey();
    expect((await passwordless(authenticator)).status).toBe(200);
    await admin.request(`/tokens/${passkey.id}`, { method: 'PATCH', json: { enabled: false } });
    const refused = await passwordless(authenticator);
    expect((await json(refused)).error.code).toBe('TOKEN_DISABLED');
    expect((await admin.request(`/tokens/${passkey.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM passkey_credentials WHERE token_id = ?').bind(passkey.id).first('n')).toBe(0);
    expect((await json(await passwordless(authenticator))).error.code).toBe('PASSKEY_INVALID');
  });
});
