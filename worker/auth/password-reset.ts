/**
 * Forgot password: a recovery email with a single-use, expiring link (the configured recovery email template).
 *
 * The request must not tell which logins exist, by its answer or by its timing. So it is split in two:
 * - `claimPasswordResetRequest`, before the response: the limits per IP and per login AS TYPED, the same
 *   statements for every login; it never reads the users table;
 * - `sendPasswordResetLink`, after the response (the Worker's waitUntil): the lookup, the link and the email.
 *
 * A new request never voids a link already sent (anyone can ask for anyone's reset, so voiding would let a stranger
 * kill the link the victim is about to click). Instead up to PASSWORD_RESET_MAX_VALID_LINKS unused links coexist;
 * at the cap a request sends nothing, and the email limits (resend cooldown, per-recipient cap) bound the rest.
 */
import {
  HOUR_MS,
  PASSWORD_RESET_MAX_VALID_LINKS,
  PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR,
  PASSWORD_RESET_REQUESTS_PER_LOGIN_PER_HOUR,
  PASSWORD_RESET_TTL_MS,
} from '../constants';
import { activityStatement, activityStatementIf } from '../activities/repo';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hashPassword, randomToken, sha256Hex } from '../lib/crypto';
import { attemptKeyOf, fillMissingIdentityKeys, lookupKeyOf } from '../lib/identity';
import { enforceLimits, ipRateKey } from '../messaging/limits';
import { loadMessagingSettings } from '../messaging/settings';
import { renderEmailMessage, sendEmail } from '../messaging/service';
import { clearLoginFailuresStatement } from './login-lock';
import {
  claimResetLink,
  deleteChallenge,
  deleteUserSessionsStatement,
  findResetRecipient,
  findUserLogin,
  insertResetLinkStatement,
  setPasswordStatement,
  voidResetLinksStatement,
} from './repo';

const PURPOSE = 'password-reset';

export interface ResetRequestMeta {
  ip: string;
  client: string;
  nowMs: number;
}

/** Throws RATE_LIMITED (the same for every login) when this IP or this login asked too often. */
export async function claimPasswordResetRequest(db: D1Database, login: string, meta: ResetRequestMeta): Promise<void> {
  await enforceLimits(
    db,
    [
      // The caller's own budget first: an address over its cap cannot spend the login's budget.
      { name: 'ip', key: `password-reset-ip:${ipRateKey(meta.ip)}`, limit: PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR, windowMs: HOUR_MS },
      { name: 'login', key: `password-reset-login:${attemptKeyOf(login)}`, limit: PASSWORD_RESET_REQUESTS_PER_LOGIN_PER_HOUR, windowMs: HOUR_MS },
    ],
    meta.nowMs,
  );
}

/**
 * After the response: a link to an enabled user with an email address, unless PASSWORD_RESET_MAX_VALID_LINKS are
 * still unused. `origin` comes from linkOrigin (lib/http.ts), never from the request's Host header. Failures are
 * logged, never answered: the requester already got the same answer as everybody.
 */
export async function sendPasswordResetLink(env: Env, login: string, meta: ResetRequestMeta & { origin: string }): Promise<void> {
  try {
    // By identity key, as every sign-in path finds users (lib/identity.ts); a login with an invisible character is nobody's.
    const key = lookupKeyOf(login);
    if (key === null) return;
    await fillMissingIdentityKeys(env.DB);
    const user = await findResetRecipient(env.DB, key);
    if (!user?.email) return;

    const token = randomToken(32);
    const linkId = await sha256Hex(token);
    // One statement counts the valid links and adds this one only under the cap: concurrent requests cannot
    // overshoot it. The activity is written exactly when the link was (changes() of the INSERT just before).
    const [inserted] = await env.DB.batch([
      insertResetLinkStatement(env.DB, { id: linkId, userId: user.id, ip: meta.ip, nowMs: meta.nowMs, expiresAt: meta.nowMs + PASSWORD_RESET_TTL_MS, maxValidLinks: PASSWORD_RESET_MAX_VALID_LINKS }),
      activityStatementIf(
        env.DB,
        { type: 'UserPasswortChangeRequest', userId: user.id, login: user.login, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs },
        'changes() = 1',
      ),
    ]);
    if (inserted!.meta.changes !== 1) return;

    const settings = await loadMessagingSettings(env);
    const link = `${meta.origin}/login/reset?token=${encodeURIComponent(token)}`;
    const message = renderEmailMessage(settings, user.language, { code: '', name: user.firstName || user.login, link, validityMs: PASSWORD_RESET_TTL_MS });
    try {
      // ip: null: the per-IP cap was taken for every caller before the response; counting the shared email-per-IP
      // counter only for real recipients would make it a signal.
      await sendEmail(env, env.DB, { to: user.email, subject: message.subject, text: message.text, purpose: PURPOSE, language: user.language, userId: user.id, ip: null, nowMs: meta.nowMs, redact: [token], cooldown: true, settings });
    } catch (error) {
      // Nobody holds this link: give its place under the cap back.
      await deleteChallenge(env.DB, linkId);
      throw error;
    }
  } catch (error) {
    console.warn(`password reset link not sent: ${(error as { code?: string }).code ?? (error as Error)?.message ?? 'unknown error'}`);
  }
}

/**
 * Claims the link with one conditional UPDATE (unused, unexpired) whose returned row decides: of two concurrent
 * completions exactly one proceeds. Then sets the password, voids the user's other links and ends every session.
 */
export async function completePasswordReset(env: Env, token: string, newPassword: string, meta: ResetRequestMeta): Promise<void> {
  const userId = await claimResetLink(env.DB, await sha256Hex(token), meta.nowMs);
  if (!userId) throw new AppError('CODE_EXPIRED', 'This link has expired or was already used. Ask for a new one.');
  const login = await findUserLogin(env.DB, userId);
  await env.DB.batch([
    setPasswordStatement(env.DB, userId, await hashPassword(newPassword), meta.nowMs),
    voidResetLinksStatement(env.DB, userId, meta.nowMs),
    deleteUserSessionsStatement(env.DB, userId),
    clearLoginFailuresStatement(env.DB, login ?? ''),
    activityStatement(env.DB, { type: 'UserPasswordChange', userId, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs }),
  ]);
}
