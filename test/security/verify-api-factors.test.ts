/**
 * /api/v1/verify and the factors it cannot or must not check with a typed code: passkeys (a browser ceremony) and
 * the split between recovery codes and OTPs (tokens/accepted-tokens.ts tokensForTypedCode).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { TOKEN_MAX_FAILS } from '../../worker/constants';
import { adminWithResource, freezeDateAt, VERIFY_T0, call, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

const T0 = freezeDateAt(VERIFY_T0);
const fixture = adminWithResource();

function verify(login: string, otp: string) {
  return json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${fixture.admin.key}` }, json: { login, resource: fixture.resource.name, otp } }));
}

/** A token row of a type that has no seed (its own tables hold the credential): only its type matters here. */
async function insertSeedlessToken(ownerUserId: string, type: 'PASSKEY' | 'RECOVERY_CODES'): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO tokens (id, serial, type, kind, owner_user_id, created_at) VALUES (?, ?, ?, 'software', ?, ?)")
    .bind(id, unique(`${type}-`), type, ownerUserId, T0)
    .run();
  return id;
}

const failCountOf = async (tokenId: string) => (await settled(tokenId), await env.DB.prepare('SELECT fail_count FROM tokens WHERE id = ?').bind(tokenId).first<number>('fail_count'))!;

describe('verify API: passkeys and recovery codes', () => {
  it('a passkey-only user is FACTOR_NOT_SUPPORTED whatever is sent: never accepted, nothing counted, no oracle', async () => {
    // Attack: an integration (or whoever holds its key) sends "OTP" guesses for a user whose only factor at the
    // resource is a passkey, hoping that some typed input is checked against it, or that the answers differ
    // (an oracle), or that the guesses lock the passkey. Every guess gets the same answer and touches nothing.
    const assignedPasskey = await fixture.admin.post('/users', { login: unique('pk') });
    const passkey = await insertSeedlessToken(assignedPasskey.id, 'PASSKEY');
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: assignedPasskey.id, tokenId: passkey });
    const ownsPasskeys = await fixture.admin.post('/users', { login: unique('pk') });
    const owned = [await insertSeedlessToken(ownsPasskeys.id, 'PASSKEY'), await insertSeedlessToken(ownsPasskeys.id, 'PASSKEY')];
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: ownsPasskeys.id, tokenId: null });

    for (const user of [assignedPasskey, ownsPasskeys]) {
      const answers = [];
      for (const guess of ['', '123456', '000000', '1234561111', 'K7QD-M2XP-9FTA', 'anything']) answers.push(await verify(user.login, guess));
      expect(answers).toEqual(answers.map(() => ({ accepted: false, reason: 'FACTOR_NOT_SUPPORTED' })));
    }
    for (const tokenId of [passkey, ...owned]) expect(await failCountOf(tokenId)).toBe(0);
    const { results } = await env.DB.prepare("SELECT detail FROM user_activities WHERE user_id = ? AND type = 'UserLoginAttempt'").bind(assignedPasskey.id).all<{ detail: string }>();
    expect(results.map((row) => JSON.parse(row.detail).reason)).toEqual(Array(6).fill('FACTOR_NOT_SUPPORTED'));
  });

  it('a passkey beside an app token changes nothing for the app token', async () => {
    const user = await fixture.admin.post('/users', { login: unique('pk') });
    const seed = randomSeedBase32();
    const app = await fixture.admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    const passkey = await insertSeedlessToken(user.id, 'PASSKEY');
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: null });
    expect(await verify(user.login, '000000')).toMatchObject({ accepted: false, reason: 'OTP_INVALID' });
    expect(await failCountOf(app.id)).toBe(1);
    expect(await verify(user.login, await totpAt(seed, T0))).toEqual({ accepted: true, serial: app.serial });
    expect(await failCountOf(passkey)).toBe(0);
  });

  it('an OTP never counts on the recovery code set, and a recovery-shaped code never on the app token', async () => {
    // Attack: spraying wrong OTPs must not use up the user's recovery set's lock (their way back in), and
    // recovery-code guesses must not lock the app token either: each kind of code goes to its own kind of token.
    const user = await fixture.admin.post('/users', { login: unique('rc') });
    const seed = randomSeedBase32();
    const app = await fixture.admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    const recoverySet = await insertSeedlessToken(user.id, 'RECOVERY_CODES');
    await fixture.admin.put(`/resources/${fixture.resource.id}/assignments`, { userId: user.id, tokenId: null });
    for (let i = 0; i < TOKEN_MAX_FAILS - 1; i++) expect((await verify(user.login, '000000')).accepted).toBe(false);
    expect(await failCountOf(app.id)).toBe(TOKEN_MAX_FAILS - 1);
    expect(await failCountOf(recoverySet)).toBe(0);
    for (const guess of ['K7QD-M2XP-9FTA', 'k7qdm2xp9fta']) expect((await verify(user.login, guess)).accepted).toBe(false);
    expect(await failCountOf(app.id)).toBe(TOKEN_MAX_FAILS - 1);
    expect(await verify(user.login, await totpAt(seed, T0))).toEqual({ accepted: true, serial: app.serial });
  });
});
