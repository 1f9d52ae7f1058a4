/**
 * Threat: an IdP account (or an admin/portal user) whose name only LOOKS like the victim's becomes the victim.
 * Seen: NameIDs " alice@example.com" with a no-break space, an ideographic space, a BOM or a line separator around
 * the address signed in as alice@example.com, because the value was trimmed of every Unicode space (and NFKC turns
 * NBSP and U+3000 into plain spaces). Now only XML formatting whitespace is trimmed, anything else invisible refuses
 * the response, and logins/emails are compared under one key (NFKC + case fold, worker/lib/identity.ts) under which
 * no second account can be created. Responses are freshly signed by xmlsec1 with the trusted IdP key.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillMissingIdentityKeys, identityKey, readIdentity } from '../../worker/lib/identity';
import { adminClient, insertUser, json, unique } from '../helpers/worker';
import { CLAIMS, configureSaml, reasonOf, sessionCookieOf, signInWithSaml } from '../setup/saml-test-support';

const sessionsOf = async (userId: string) => (await env.DB.prepare('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?').bind(userId).first<{ n: number }>())!.n;
const usersWithEmail = async (email: string) => (await env.DB.prepare('SELECT COUNT(*) AS n FROM users WHERE lower(email) = lower(?)').bind(email).first<{ n: number }>())!.n;

/** Each character and why it is refused: the parser would turn the line separators into line feeds, so they go before parsing. */
const INVISIBLE: Array<[name: string, char: string, reason: string]> = [
  ['no-break space U+00A0', '\u00a0', 'identity_invisible_character'],
  ['ideographic space U+3000', '\u3000', 'identity_invisible_character'],
  ['byte order mark U+FEFF', '\ufeff', 'identity_invisible_character'],
  ['zero-width space U+200B', '\u200b', 'identity_invisible_character'],
  ['right-to-left mark U+200F', '\u200f', 'identity_invisible_character'],
  ['Hangul filler U+3164', '\u3164', 'identity_invisible_character'],
  ['narrow no-break space U+202F', '\u202f', 'identity_invisible_character'],
  ['line separator U+2028', '\u2028', 'line_separator_refused'],
  ['paragraph separator U+2029', '\u2029', 'line_separator_refused'],
  ['next line U+0085', '\u0085', 'line_separator_refused'],
];

describe('SAML identity is never normalised into someone else’s', () => {
  let victim: { id: string; email: string };

  beforeAll(async () => {
    await configureSaml({ claimEmail: 'NameID' });
    const email = `${unique('alice')}@corp.example`;
    const user = await insertUser({ email });
    victim = { id: user.id, email };
  });

  it('control: the exact address, and XML formatting whitespace (space, tab, CR, LF) around it, sign in as the victim', async () => {
    for (const padded of [victim.email, ` ${victim.email}`, `\n\t${victim.email} \r\n`]) {
      const { response } = await signInWithSaml({ email: padded });
      expect(response.status, JSON.stringify(padded)).toBe(303);
    }
    expect(await sessionsOf(victim.id)).toBe(3);
  });

  it.each(INVISIBLE)('a NameID with a %s before, after or inside the victim’s address is refused', async (_name, char, reason) => {
    const before = await sessionsOf(victim.id);
    for (const shaped of [`${char}${victim.email}`, `${victim.email}${char}`, ` ${char} ${victim.email}`, victim.email.replace('@', `${char}@`)]) {
      const { response } = await signInWithSaml({ email: shaped });
      expect(response.status).toBe(400);
      expect(sessionCookieOf(response)).toBeNull();
      expect(await reasonOf(response)).toBe(reason);
    }
    expect(await sessionsOf(victim.id)).toBe(before);
    // No look-alike account was registered either.
    expect(await usersWithEmail(victim.email)).toBe(1);
  });

  it('a raw line separator put into the signed NameID after signing is refused before parsing', async () => {
    // xmlsec1 writes U+2028 as &#x2028;. Sent raw instead, the parser would turn it into a line feed (and the
    // trim would remove it) before the signature check could notice the bytes changed.
    const { response } = await signInWithSaml({ email: `\u2028${victim.email}`, afterSign: [['&#x2028;', '\u2028']] });
    await expect(reasonOf(response)).resolves.toBe('line_separator_refused');
    expect(sessionCookieOf(response)).toBeNull();
  });

  it('two first sign-ins at once with the same address in different case register one account', async () => {
    // The attack: race the registration so that "Bob@…" and "bob@…" both pass the lookup and both get an account.
    const address = `${unique('bob')}@corp.example`;
    const results = await Promise.all([signInWithSaml({ email: address }), signInWithSaml({ email: address.toUpperCase() }), signInWithSaml({ email: address })]);
    expect(await usersWithEmail(address)).toBe(1);
    expect(results.some((r) => r.response.status === 303)).toBe(true);
    for (const { response } of results.filter((r) => r.response.status !== 303)) expect(await reasonOf(response)).toBe('login_taken');
  });

  it('the same holds for an email attribute claim, and the refusal names the code point in the activity log', async () => {
    await configureSaml();
    try {
      const { response } = await signInWithSaml({ attributes: { [CLAIMS.email]: [`\u00a0${victim.email}`] } });
      expect(response.status).toBe(400);
      expect(sessionCookieOf(response)).toBeNull();
      expect(await reasonOf(response)).toBe('identity_invisible_character');
      const row = await env.DB.prepare("SELECT detail FROM user_activities WHERE type = 'UserLoginAttempt' AND json_extract(detail, '$.reason') = 'identity_invisible_character' AND json_extract(detail, '$.claim') = ?")
        .bind(CLAIMS.email)
        .first<{ detail: string }>();
      expect(JSON.parse(row!.detail)).toMatchObject({ codePoint: 'U+00A0', reference: expect.stringMatching(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/) });
    } finally {
      await configureSaml({ claimEmail: 'NameID' });
    }
  });

  it('the address in another case is the same identity: it signs in as the victim and never registers a second account', async () => {
    const before = await sessionsOf(victim.id);
    const { response } = await signInWithSaml({ email: victim.email.toUpperCase() });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
    expect(await sessionsOf(victim.id)).toBe(before + 1);
    expect(await usersWithEmail(victim.email)).toBe(1);
  });
});

describe('one key for logins and emails: NFKC + case folding', () => {
  it('identityKey folds compatibility forms and case; readIdentity trims only XML whitespace', () => {
    expect(identityKey('ＢＯＢ')).toBe('bob');
    expect(identityKey('STRAßE')).toBe(identityKey('strasse'));
    expect(identityKey('\u212Aim')).toBe('kim'); // KELVIN SIGN
    expect(identityKey('Bob@Corp.Example')).toBe('bob@corp.example');
    expect(readIdentity(' \t\r\nbob\n ')).toEqual({ ok: true, value: 'bob' });
    expect(readIdentity('bob\u00a0')).toMatchObject({ ok: false, codePoint: 'U+00A0' });
    expect(readIdentity('b o b')).toEqual({ ok: true, value: 'b o b' });
  });

  it('an admin cannot create a login or email that collides with an existing one under the key', async () => {
    // The attack: a second account "ｂｏｂ" or "BOB@corp.example" that reads as bob's in lists, mails and logs.
    const admin = await adminClient();
    const base = unique('bob');
    const email = `${base}@corp.example`;
    const created = await admin.post('/users', { login: base, email });
    for (const [login, mail, code] of [
      [base.toUpperCase(), null, 'LOGIN_TAKEN'],
      [base.replace(/[a-z]/g, (c) => String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41)), null, 'LOGIN_TAKEN'], // fullwidth letters
      [unique('other'), email.toUpperCase(), 'EMAIL_TAKEN'],
    ] as const) {
      const refused = await admin.request('/users', { method: 'POST', json: { login, email: mail } });
      expect(refused.status, login).toBe(409);
      expect((await json(refused)).error.code, login).toBe(code);
    }
    // Changing another account to a colliding value is refused the same way; the account itself may change case.
    const other = await admin.post('/users', { login: unique('carol') });
    const renamed = await admin.request(`/users/${other.id}`, { method: 'PATCH', json: { email: email.toUpperCase() } });
    expect((await json(renamed)).error.code).toBe('EMAIL_TAKEN');
    expect((await admin.request(`/users/${created.id}`, { method: 'PATCH', json: { email: email.toUpperCase() } })).status).toBe(200);
    expect(await env.DB.prepare('SELECT login_key, email_key FROM users WHERE id = ?').bind(created.id).first()).toEqual({ login_key: base, email_key: email });
  });

  it('rows written without the key (older code, direct SQL) are keyed by the triggers or, outside ASCII, before the next check', async () => {
    const ascii = await insertUser({ login: unique('Dave'), email: `${unique('Dave')}@Corp.Example` });
    expect(await env.DB.prepare('SELECT login_key = lower(login) AND email_key = lower(email) AS keyed FROM users WHERE id = ?').bind(ascii.id).first()).toEqual({ keyed: 1 });
    // A login in fullwidth letters: SQLite cannot compute NFKC, so the trigger leaves the key NULL...
    const plain = unique('erin');
    const fullwidth = plain.replace(/[a-z0-9]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
    const legacy = await insertUser({ login: fullwidth });
    expect(await env.DB.prepare('SELECT login_key FROM users WHERE id = ?').bind(legacy.id).first()).toEqual({ login_key: null });
    // ...and the next uniqueness check fills it first, so the ASCII twin is refused.
    const admin = await adminClient();
    const refused = await admin.request('/users', { method: 'POST', json: { login: plain } });
    expect((await json(refused)).error.code).toBe('LOGIN_TAKEN');
    expect(await env.DB.prepare('SELECT login_key FROM users WHERE id = ?').bind(legacy.id).first()).toEqual({ login_key: plain });
    // A changed login gets its new key (an old key left behind would name the wrong person).
    await env.DB.prepare('UPDATE users SET login = ? WHERE id = ?').bind(`${plain}-x`, legacy.id).run();
    expect(await env.DB.prepare('SELECT login_key FROM users WHERE id = ?').bind(legacy.id).first()).toEqual({ login_key: `${plain}-x` });
    expect(await fillMissingIdentityKeys(env.DB)).toEqual({ filled: 0, collisions: [] });
  });
});
