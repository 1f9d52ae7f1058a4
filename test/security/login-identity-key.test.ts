/**
 * Attack: one account under many names. The verify API and /login found users by lower(login) and locked password
 * attempts per lower-cased spelling, while SAML compares by the NFKC + case-fold identity key
 * (worker/lib/identity.ts): the paths disagreed on who a login is, and a login that the key would merge with another
 * ("ＡＬＩＣＥ") could get its own lock. Now every sign-in path reads the login the one way: another case or a
 * compatibility form reaches the same account and spends its attempts; a login with a no-break space, an
 * ideographic space or a BOM around it is nobody's (only space, tab, CR and LF are trimmed).
 */
import { describe, expect, it } from 'vitest';
import { LOGIN_MAX_FAILS } from '../../worker/constants';
import { assignedUser, portalClient, portalWith } from '../helpers/portal';
import { adminClient, call, insertUser, json, unique } from '../helpers/worker';

const PASSWORD = 'a long enough password';
const login = (name: string, password = PASSWORD) => call('/api/auth/login', { method: 'POST', json: { login: name, password } });
/** The login in full-width letters and digits (U+FF41...): NFKC maps them back. */
const fullWidthOf = (value: string) => [...value].map((ch) => (/[a-z0-9]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('');

describe('/login: one normalisation of the login', () => {
  it('another case or a compatibility form of the login reaches the same account; a no-break space does not', async () => {
    const user = await insertUser({ login: unique('kelvin-'), password: PASSWORD });
    const fullWidth = fullWidthOf(user.login);
    expect(fullWidth).not.toBe(user.login);
    for (const spelling of [user.login.toUpperCase(), fullWidth, ` ${user.login}\t`]) {
      const answer = await json(login(spelling));
      expect(answer.state).toBe('signed_in');
      expect(answer.user.id).toBe(user.id);
    }
    for (const spelling of [`${user.login}\u00a0`, `\u00a0${user.login}`, `\ufeff${user.login}`]) {
      expect((await json(login(spelling))).error.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('every spelling of one login spends the same password attempts', async () => {
    const user = await insertUser({ login: unique('lock-'), password: PASSWORD });
    const fullWidth = fullWidthOf(user.login);
    const spellings = [user.login, user.login.toUpperCase(), fullWidth];
    for (let i = 0; i < LOGIN_MAX_FAILS; i++) await login(spellings[i % spellings.length]!, 'wrong password');
    for (const spelling of spellings) expect((await json(login(spelling))).error.code).toBe('ACCOUNT_LOCKED');
  });
});

describe('verify API: one normalisation of the login', () => {
  it('another case or a compatibility form of the login reaches the same user; a no-break space does not', async () => {
    const admin = await adminClient();
    const resource = await admin.post('/resources', { name: unique('VPN-') });
    const user = await admin.post('/users', { login: unique('ident-'), password: PASSWORD });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: null });
    const verify = async (spelling: string) =>
      json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login: spelling, resource: resource.name, otp: '123456' } }));
    const fullWidth = fullWidthOf(user.login);
    // The user is found (and has no token): NO_TOKEN, not USER_UNKNOWN.
    for (const spelling of [user.login, user.login.toUpperCase(), fullWidth]) expect(await verify(spelling)).toEqual({ accepted: false, reason: 'NO_TOKEN' });
    for (const spelling of [`${user.login}\u00a0`, `\u00a0${user.login}`, `\u3000${user.login}`]) expect(await verify(spelling)).toEqual({ accepted: false, reason: 'USER_UNKNOWN' });
  });
});

describe('portal sign-in: one normalisation of the login', () => {
  it('another case or a compatibility form of the login reaches the same account', async () => {
    const portal = await portalWith([]);
    const user = await assignedUser(portal.admin, portal.resource.id);
    for (const spelling of [user.login.toUpperCase(), fullWidthOf(user.login)]) {
      const answer = await portalClient(portal.alias, { ip: '198.51.100.7' }).signIn(spelling, 'portal password 1');
      expect(answer.body).toMatchObject({ state: 'signed_in' });
    }
  });
});
