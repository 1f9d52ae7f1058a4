/**
 * Attack: a PIN oracle in the verify API. An SMS/EMAIL token with a PIN answers "only the PIN" with CHALLENGE_SENT
 * (a code goes to the owner's phone) and anything else with OTP_INVALID. With no code out, a wrong PIN used to count
 * nowhere, so a caller holding a verify key walked through the PINs, bounded only by the verify rate limit (30 per
 * 5 minutes: a 4-digit PIN in about a day), then knew the PIN. Now every such input claims an attempt on the token
 * before its PIN is looked at: TOKEN_MAX_FAILS wrong PINs lock the token, the right PIN after that answers locked
 * and sends nothing, and a wrong PIN answers exactly as a wrong code does.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_MAX_FAILS } from '../../worker/constants';
import { freshPhone, providerScenario, smsTextsTo, twilioAndOutboxSettings } from '../helpers/messaging';
import { adminClient, call, json, randomSeedBase32, totpAt, unique } from '../helpers/worker';
import { settled } from '../helpers/verify-state';

const PIN = '4711';
let sms: ReturnType<typeof providerScenario>;
let admin: Awaited<ReturnType<typeof adminClient>>;
let resource: { id: string; name: string };

beforeAll(async () => {
  sms = providerScenario();
  admin = await adminClient();
  expect((await admin.request('/messaging/settings', { method: 'PUT', json: twilioAndOutboxSettings(sms.baseUrl) })).status).toBe(200);
  resource = await admin.post('/resources', { name: unique('VPN-') });
});

const verify = (login: string, otp: string) =>
  json(call('/api/v1/verify', { method: 'POST', headers: { authorization: `Bearer ${admin.key}` }, json: { login, resource: resource.name, otp } }));
const tokenState = async (id: string) => (
  await settled(id), await env.DB.prepare('SELECT fail_count, locked_until FROM tokens WHERE id = ?').bind(id).first<{ fail_count: number; locked_until: number | null }>()
);
const textsTo = async (phone: string) => (await sms.requests()).filter((request) => new URLSearchParams(request.body).get('To') === phone);
/** Distinct wrong 4-digit PINs. */
const wrongPins = (n: number) => Array.from({ length: n }, (_, i) => String(1000 + i)).filter((pin) => pin !== PIN);

async function userWithPinnedSmsToken(assign: 'token' | 'user' = 'token') {
  const user = await admin.post('/users', { login: unique('pin-'), password: 'a long enough password' });
  const phone = freshPhone();
  const token = await admin.post('/tokens/message', { type: 'SMS', destination: phone, ownerUserId: user.id, pin: PIN, pinPosition: 'after' });
  await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: assign === 'token' ? token.id : null });
  return { user, phone, token };
}

describe('verify API: PIN guesses on SMS/EMAIL tokens', () => {
  it('counts every wrong PIN with no code out, answers it as a wrong code, and locks the token: the right PIN then sends nothing', async () => {
    const { user, phone, token } = await userWithPinnedSmsToken();
    const answers = [];
    for (const pin of wrongPins(TOKEN_MAX_FAILS)) answers.push(await verify(user.login, pin));
    expect(answers.slice(0, TOKEN_MAX_FAILS - 1)).toEqual(Array(TOKEN_MAX_FAILS - 1).fill({ accepted: false, reason: 'OTP_INVALID' }));
    expect(answers.at(-1)).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    expect((await tokenState(token.id))!.fail_count).toBe(TOKEN_MAX_FAILS);

    expect(await verify(user.login, PIN)).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    expect(await textsTo(phone)).toEqual([]);
  });

  it('a burst of wrong PINs with the right one among them: at most TOKEN_MAX_FAILS are looked at, the rest answer locked', async () => {
    const { user, phone, token } = await userWithPinnedSmsToken();
    const pins = [...wrongPins(2 * TOKEN_MAX_FAILS), PIN];
    const answers = await Promise.all(pins.map((pin) => verify(user.login, pin)));
    const reasons = answers.map((answer) => answer.reason as string);
    // Every answer is a refusal; a wrong PIN never answers anything but "wrong" or "locked".
    expect(answers.every((answer) => answer.accepted === false)).toBe(true);
    expect(reasons.slice(0, -1).every((reason) => reason === 'OTP_INVALID' || reason === 'TOKEN_LOCKED')).toBe(true);
    expect(reasons.filter((reason) => reason === 'OTP_INVALID').length).toBeLessThanOrEqual(TOKEN_MAX_FAILS - 1);
    expect(reasons.filter((reason) => reason === 'TOKEN_LOCKED').length).toBeGreaterThanOrEqual(pins.length - TOKEN_MAX_FAILS);
    expect((await tokenState(token.id))!.locked_until).toBeGreaterThan(Date.now());
    // After the burst the right PIN is locked out too.
    expect(await verify(user.login, PIN)).toMatchObject({ accepted: false, reason: 'TOKEN_LOCKED' });
    expect((await textsTo(phone)).length).toBeLessThanOrEqual(reasons.includes('CHALLENGE_SENT') ? 1 : 0);
  });

  it('the right PIN is no failure: it gives its claim back, and PIN plus code clears the count', async () => {
    const { user, phone, token } = await userWithPinnedSmsToken();
    for (const pin of wrongPins(3)) expect(await verify(user.login, pin)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect((await tokenState(token.id))!.fail_count).toBe(3);
    expect(await verify(user.login, PIN)).toEqual({ accepted: false, reason: 'CHALLENGE_SENT' });
    expect((await tokenState(token.id))!.fail_count).toBe(3);
    const code = /\b(\d{6})\b/.exec((await smsTextsTo(sms, phone, 1)).at(-1)!)![1]!;
    // With the code out, a wrong PIN with the right code counts as well.
    expect(await verify(user.login, `${code}0000`)).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect((await tokenState(token.id))!.fail_count).toBe(4);
    expect(await verify(user.login, `${code}${PIN}`)).toEqual({ accepted: true, serial: token.serial });
    expect(await tokenState(token.id)).toEqual({ fail_count: 0, locked_until: null });
  });

  it('the code of the user\'s other token is no PIN failure on the SMS token', async () => {
    const { user, token } = await userWithPinnedSmsToken('user');
    const seed = randomSeedBase32();
    const totp = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    expect(await verify(user.login, await totpAt(seed, Date.now()))).toEqual({ accepted: true, serial: totp.serial });
    expect((await tokenState(token.id))!.fail_count).toBe(0);
    // A wrong one counts on both.
    expect(await verify(user.login, '000000')).toEqual({ accepted: false, reason: 'OTP_INVALID' });
    expect((await tokenState(token.id))!.fail_count).toBe(1);
    expect((await tokenState(totp.id))!.fail_count).toBe(1);
  });
});
