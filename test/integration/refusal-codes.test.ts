/**
 * Refusals a page renders in its own language: each is a field issue ({ path, code, params }) or an error code of
 * the catalogue, never only an English sentence (the English message stays, for API clients). These are the
 * refusals that used to be VALIDATION_FAILED with a sentence and nothing else; the browser walks in German
 * (test/e2e/german-everywhere.test.ts, field-errors.test.ts) show their texts.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN_AUDIT_RETENTION_MAX_DAYS, ADMIN_AUDIT_RETENTION_MIN_DAYS } from '../../worker/constants';
import type { AppError } from '../../worker/errors';
import { proveStepUp } from '../../worker/auth/step-up';
import { loadPortal } from '../../worker/selfservice/portal';
import { startRecovery } from '../../worker/selfservice/recovery-service';
import { setAuditRetentionDays } from '../../worker/settings/platform';
import { sendTokenCode } from '../../worker/tokens/message-tokens';
import type { TokenRecord } from '../../worker/tokens/verification';
import { assignedUser, portalClient, portalWith } from '../helpers/portal';
import { randomSeedBase32, totpAt, unique } from '../helpers/worker';

/** What the call was refused with: the error's code, its field issues, and its details. */
async function refusalOf(call: () => Promise<unknown>) {
  try {
    await call();
  } catch (error) {
    const { code, details } = error as AppError;
    return { code, details };
  }
  throw new Error('the call was not refused');
}

const nothingAudited = () => {
  throw new Error('a refused change writes no audit row');
};

describe('restore access', () => {
  it('a proof with what the request declared lost, and a submission without the new password, are refused at their fields', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const seed = randomSeedBase32();
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed, seedEncoding: 'base32', ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const client = portalClient(alias);
    const start = await client.send('POST', '/recovery', { login: user.login, lost: ['password'] });
    expect(start.status).toBe(200);

    const lostProof = await client.send('POST', '/recovery/proof', { flow: start.body.flow, password: 'portal password 1' });
    expect(lostProof).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'password', code: 'DECLARED_LOST' }] } } } });

    const withoutPassword = await client.send('POST', '/recovery/submit', { flow: start.body.flow, otp: await totpAt(seed, Date.now()) });
    expect(withoutPassword).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'newPassword', code: 'REQUIRED' }] } } } });
  });

  it('a start that names nothing lost is refused at "lost" with its rule (choose at least one)', async () => {
    const { alias } = await portalWith(['changeName']);
    const portal = await loadPortal(env.DB, alias);
    const refused = await refusalOf(() => startRecovery(env, portal, { login: unique('ghost'), lost: [] }, { ip: '198.18.1.1', nowMs: Date.now() }, () => {}));
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'lost', code: 'too_small', params: { minimum: 1, origin: 'array' } }] } });
  });
});

describe('proof before change and the portal sign-in', () => {
  it('a passkey offered where no relying party is known: its own code', async () => {
    const factors = [{ kind: 'sms-2fa' as const, userId: crypto.randomUUID(), phone: '+4915112345678' }];
    const refused = await refusalOf(() => proveStepUp(env, factors, { passkey: {} as never }, { sessionId: crypto.randomUUID(), nowMs: Date.now() }));
    expect(refused).toEqual({ code: 'STEP_UP_PASSKEY_UNAVAILABLE', details: undefined });
  });

  it('a typed code from a user whose proof is a passkey, or a code that must be sent first: a code for each', async () => {
    const tokenFactor = (type: 'PASSKEY' | 'EMAIL') => ({ kind: 'token' as const, token: { id: crypto.randomUUID(), type } as TokenRecord });
    const typed = (type: 'PASSKEY' | 'EMAIL') => refusalOf(() => proveStepUp(env, [tokenFactor(type)], { otp: '123456' }, { sessionId: crypto.randomUUID(), nowMs: Date.now() }));
    expect((await typed('PASSKEY')).code).toBe('STEP_UP_PASSKEY_EXPECTED');
    expect((await typed('EMAIL')).code).toBe('STEP_UP_CODE_NOT_SENT');
  });

  it('"send a new code" in a sign-in whose user has no SMS or email token: its own code', async () => {
    const { admin, resource, alias } = await portalWith(['changeName']);
    const user = await assignedUser(admin, resource.id);
    const token = await admin.post('/tokens/hardware', { type: 'TOTP', serial: unique('HW-'), seed: randomSeedBase32(), seedEncoding: 'base32', ownerUserId: user.id });
    await admin.put(`/resources/${resource.id}/assignments`, { userId: user.id, tokenId: token.id });
    const client = portalClient(alias);
    const atOtp = await client.signIn(user.login, user.password);
    expect(atOtp.body).toMatchObject({ state: 'continue', step: 'otp' });
    expect(await client.send('POST', '/signin/otp/send', { flow: atOtp.body.flow })).toMatchObject({ status: 400, body: { error: { code: 'SIGNIN_NO_SENT_CODE' } } });
  });

  it('a code asked of a token that receives none: TOKEN_TYPE_MISMATCH', async () => {
    const refused = await refusalOf(() =>
      sendTokenCode(env, { id: crypto.randomUUID(), type: 'TOTP', destination: null, owner_user_id: null }, { purpose: 'step-up', language: 'de', name: 'Ada', ip: null, nowMs: Date.now() }),
    );
    expect(refused.code).toBe('TOKEN_TYPE_MISMATCH');
  });
});

describe('the admin audit retention', () => {
  it('a number of days outside the bounds, or not whole, is refused at "days" with the bound', async () => {
    const bounds = { minimum: ADMIN_AUDIT_RETENTION_MIN_DAYS, maximum: ADMIN_AUDIT_RETENTION_MAX_DAYS, origin: 'number' };
    const refusal = (days: number) => refusalOf(() => setAuditRetentionDays(env.DB, days, Date.now(), nothingAudited));
    expect(await refusal(ADMIN_AUDIT_RETENTION_MAX_DAYS + 1)).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'days', code: 'too_big', params: bounds }] } });
    expect(await refusal(ADMIN_AUDIT_RETENTION_MIN_DAYS - 1)).toMatchObject({ details: { issues: [{ path: 'days', code: 'too_small', params: bounds }] } });
    expect(await refusal(ADMIN_AUDIT_RETENTION_MIN_DAYS + 0.5)).toMatchObject({ details: { issues: [{ path: 'days', code: 'invalid_type', params: { expected: 'int' } }] } });
  });
});
