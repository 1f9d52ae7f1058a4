/**
 * Threat: one key for many purposes. Before key separation SEED_ENCRYPTION_KEY itself sealed token seeds and
 * provider secrets alike, and SESSION_KEY itself keyed PIN hashes, CSRF tokens and code-challenge ids, so a
 * weakness in one use (an oracle that MACs or seals chosen input, a value copied from one place to another)
 * was a weakness in all. Now each purpose has its own key, derived with HKDF: the same input under two
 * purposes gives unrelated outputs and nothing made for one opens for another. Values written the old way
 * (seeds, provider secrets, PINs) keep working and are replaced by the new form: PINs at the next successful
 * sign-in, seeds and provider secrets by the cron.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { csrfTokenFor } from '../../worker/auth/sessions';
import { bytesToBase64Url, base64ToBytes, utf8 } from '../../worker/lib/encoding';
import { hmacSha256Hex } from '../../worker/lib/crypto';
import { deriveKey, openFor, sealFor } from '../../worker/lib/keys';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { loadMessagingSettings } from '../../worker/messaging/settings';
import { sendSms } from '../../worker/messaging/service';
import { freshPhone, providerScenario, TWILIO_SID } from '../helpers/messaging';
import { verifyTokenOtp } from '../../worker/tokens/verification';
import { checkPin, hashPin, openSeed } from '../../worker/tokens/secrets';
import { loadTokenRecord, verifyKeysOf } from '../../worker/tokens/service';

// ---- the old code, reproduced: the Worker secrets used directly as keys

async function legacySeal(plaintext: Uint8Array<ArrayBuffer>, context: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(env.SEED_ENCRYPTION_KEY), 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(context) }, key, plaintext);
  return `v1.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}`;
}

async function legacyHmacHex(message: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', base64ToBytes(env.SESSION_KEY), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return [...new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(message)))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** RFC 4226 appendix D: the seed "12345678901234567890" gives these codes for counters 0, 1, 2, 3. */
const RFC_SEED = utf8.encode('12345678901234567890');
const RFC_CODES = ['755224', '287082', '359152', '969429'];

async function insertLegacyHotpToken(pin: string) {
  const id = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO tokens (id, serial, type, kind, description, algorithm, digits, period_seconds, counter, secret_encrypted, pin_hash, pin_position, enabled, activated, created_at)
     VALUES (?, ?, 'HOTP', 'hardware', '', 'SHA1', 6, 30, 0, ?, ?, 'after', 1, 1, ?)`,
  )
    .bind(id, `LEGACY-${id.slice(0, 8)}`, await legacySeal(RFC_SEED, `token-seed:${id}`), await legacyHmacHex(`token-pin:${id}:${pin}`), Date.now())
    .run();
  return id;
}

const row = (id: string) => env.DB.prepare('SELECT secret_encrypted, pin_hash FROM tokens WHERE id = ?').bind(id).first<{ secret_encrypted: string; pin_hash: string }>();

describe('one purpose, one key', () => {
  it('the same message under each MAC purpose, and under the old direct key, gives four unrelated values', async () => {
    const message = 'token-pin:same-input:1234';
    const values = [
      await hmacSha256Hex(await deriveKey(env, 'pin-hashing'), message),
      await hmacSha256Hex(await deriveKey(env, 'csrf'), message),
      await hmacSha256Hex(await deriveKey(env, 'code-challenge'), message),
      await legacyHmacHex(message),
    ];
    expect(new Set(values).size).toBe(4);
    // A CSRF token is no longer the HMAC the old code made with SESSION_KEY, nor a PIN hash.
    expect(await csrfTokenFor(env.SESSION_KEY, 'session-1')).not.toBe(await legacyHmacHex('csrf:session-1'));
    expect(await hashPin(env.SESSION_KEY, 'token-1', '1234')).toMatch(/^v2\.[0-9a-f]{64}$/);
  });

  it('a value sealed for one purpose does not open for another, nor with the old direct key', async () => {
    const sealed = await sealFor(env, 'seed-sealing', utf8.encode('secret'), 'ctx');
    expect(new TextDecoder().decode(await openFor(env, 'seed-sealing', sealed, 'ctx'))).toBe('secret');
    await expect(openFor(env, 'provider-secrets', sealed, 'ctx')).rejects.toThrow();
    await expect(openFor(env, 'seed-sealing', sealed, 'other ctx')).rejects.toThrow();
    const asLegacy = sealed.replace(/^v2\./, 'v1.');
    await expect(openFor(env, 'seed-sealing', asLegacy, 'ctx')).rejects.toThrow();
  });
});

describe('values from before key separation', () => {
  it('a seed and a PIN made the old way still verify, and are upgraded: the PIN after a full success, the seed by the cron', async () => {
    const id = await insertLegacyHotpToken('4711');
    const keys = verifyKeysOf(env);
    const legacy = await row(id);

    // A right PIN with a wrong code fails and leaves the hash alone (the write must not reveal the PIN).
    expect(await verifyTokenOtp(env.DB, keys, await loadTokenRecord(env.DB, id), '000000' + '4711', Date.now())).toMatchObject({ ok: false });
    expect((await row(id))!.pin_hash).toBe(legacy!.pin_hash);

    expect(await verifyTokenOtp(env.DB, keys, await loadTokenRecord(env.DB, id), RFC_CODES[0] + '4711', Date.now())).toMatchObject({ ok: true });
    const afterSignIn = await row(id);
    expect(afterSignIn!.pin_hash).toMatch(/^v2\./);
    expect(await checkPin(env.SESSION_KEY, id, '4711', afterSignIn!.pin_hash)).toBe(true);
    expect(await checkPin(env.SESSION_KEY, id, '4712', afterSignIn!.pin_hash)).toBe(false);
    expect(afterSignIn!.secret_encrypted).toBe(legacy!.secret_encrypted);

    await runScheduledPurge(env, Date.now());
    const afterCron = await row(id);
    expect(afterCron!.secret_encrypted).toMatch(/^v2\./);
    expect(await openSeed(env.SEED_ENCRYPTION_KEY, id, afterCron!.secret_encrypted)).toEqual(RFC_SEED);
    expect(await verifyTokenOtp(env.DB, keys, await loadTokenRecord(env.DB, id), RFC_CODES[1] + '4711', Date.now())).toMatchObject({ ok: true });
    // The wrong PIN is still wrong with the new hash.
    expect(await verifyTokenOtp(env.DB, keys, await loadTokenRecord(env.DB, id), RFC_CODES[2] + '1111', Date.now())).toMatchObject({ ok: false });
  });

  it('a provider secret sealed the old way still sends, and the cron re-seals it bound to its URL', async () => {
    const scenario = providerScenario();
    const token = 'twilio-auth-token-legacy-55';
    const stored = {
      primary: { type: 'twilio', accountSid: TWILIO_SID, authToken: await legacySeal(utf8.encode(token), 'messaging.sms:primary.authToken'), from: '+15005550006', baseUrl: scenario.baseUrl, timeoutMs: 5000 },
      fallback: null,
    };
    await env.DB.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('messaging.sms', ?, 0) ON CONFLICT(key) DO UPDATE SET value = excluded.value").bind(JSON.stringify(stored)).run();
    expect((await loadMessagingSettings(env)).sms.primary).toMatchObject({ authToken: token });

    await runScheduledPurge(env, Date.now());
    const upgraded = JSON.parse((await env.DB.prepare("SELECT value FROM settings WHERE key = 'messaging.sms'").first<{ value: string }>())!.value);
    expect(upgraded.primary.authToken).toMatch(/^v2\./);
    await sendSms(env, env.DB, { to: freshPhone(), text: 'hello', purpose: 'test', language: 'en', nowMs: Date.now() });
    const [request] = await scenario.requests();
    expect(Buffer.from(request!.headers.authorization!.slice(6), 'base64').toString()).toBe(`${TWILIO_SID}:${token}`);

    // Now bound to its URL: moved to another one in the database, it no longer opens.
    upgraded.primary.baseUrl = `${scenario.baseUrl}-elsewhere`;
    await env.DB.prepare("UPDATE settings SET value = ? WHERE key = 'messaging.sms'").bind(JSON.stringify(upgraded)).run();
    await expect(loadMessagingSettings(env)).rejects.toMatchObject({ code: 'INTERNAL' });
    await env.DB.prepare("DELETE FROM settings WHERE key = 'messaging.sms'").run();
  });
});
