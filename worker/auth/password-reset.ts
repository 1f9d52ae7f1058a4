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
import { activityStatement, activityStatementIf } from '../activities/record';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hashPassword, randomToken, sha256Hex } from '../lib/crypto';
import { attemptKeyOf, fillMissingIdentityKeys, lookupKeyOf } from '../lib/identity';
import { enforceLimits, ipRateKey } from '../messaging/limits';
import { loadMessagingSettings } from '../messaging/settings';
import { renderEmailMessage, sendEmail } from '../messaging/service';
import { clearLoginFailuresStatement } from './login-lock';

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
    const user = await env.DB.prepare('SELECT id, login, email, first_name, language FROM users WHERE login_key = ? AND enabled = 1')
      .bind(key)
      .first<{ id: string; login: string; email: string | null; first_name: string; language: 'de' | 'en' }>();
    if (!user?.email) return;

    const token = randomToken(32);
    const linkId = await sha256Hex(token);
    // One statement counts the valid links and adds this one only under the cap: concurrent requests cannot
    // overshoot it. The activity is written exactly when the link was (changes() of the INSERT just before).
    const [inserted] = await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO challenges (id, purpose, user_id, max_attempts, ip, created_at, expires_at)
         SELECT ?1, '${PURPOSE}', ?2, 1, ?3, ?4, ?5
         WHERE (SELECT count(*) FROM challenges WHERE user_id = ?2 AND purpose = '${PURPOSE}' AND consumed_at IS NULL AND expires_at > ?4) < ?6`,
      ).bind(linkId, user.id, meta.ip, meta.nowMs, meta.nowMs + PASSWORD_RESET_TTL_MS, PASSWORD_RESET_MAX_VALID_LINKS),
      activityStatementIf(
        env.DB,
        { type: 'UserPasswortChangeRequest', userId: user.id, login: user.login, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs },
        'changes() = 1',
      ),
    ]);
    if (inserted!.meta.changes !== 1) return;

    const settings = await loadMessagingSettings(env);
    const link = `${meta.origin}/login/reset?token=${encodeURIComponent(token)}`;
    const message = renderEmailMessage(settings, user.language, { code: '', name: user.first_name || user.login, link, validityMs: PASSWORD_RESET_TTL_MS });
    try {
      // ip: null: the per-IP cap was taken for every caller before the response; counting the shared email-per-IP
      // counter only for real recipients would make it a signal.
      await sendEmail(env, env.DB, { to: user.email, subject: message.subject, text: message.text, purpose: PURPOSE, language: user.language, userId: user.id, ip: null, nowMs: meta.nowMs, redact: [token], cooldown: true, settings });
    } catch (error) {
      // Nobody holds this link: give its place under the cap back.
      await env.DB.prepare('DELETE FROM challenges WHERE id = ?').bind(linkId).run();
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
  const claimed = await env.DB.prepare(
    `UPDATE challenges SET consumed_at = ?1
     WHERE id = ?2 AND purpose = '${PURPOSE}' AND consumed_at IS NULL AND expires_at > ?1 RETURNING user_id`,
  )
    .bind(meta.nowMs, await sha256Hex(token))
    .first<{ user_id: string }>();
  if (!claimed) throw new AppError('CODE_EXPIRED', 'This link has expired or was already used. Ask for a new one.');
  const user = await env.DB.prepare('SELECT login FROM users WHERE id = ?').bind(claimed.user_id).first<{ login: string }>();
  await env.DB.batch([
    env.DB.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').bind(await hashPassword(newPassword), meta.nowMs, claimed.user_id),
    // The other links were for the password just replaced.
    env.DB.prepare(`UPDATE challenges SET consumed_at = ? WHERE user_id = ? AND purpose = '${PURPOSE}' AND consumed_at IS NULL`).bind(meta.nowMs, claimed.user_id),
    env.DB.prepare('DELETE FROM sessions WHERE user_id = ?').bind(claimed.user_id),
    clearLoginFailuresStatement(env.DB, user?.login ?? ''),
    activityStatement(env.DB, { type: 'UserPasswordChange', userId: claimed.user_id, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs }),
  ]);
}
