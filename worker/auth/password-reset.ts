/**
 * Forgot password: a recovery email with a single-use, expiring link (the configured recovery email template).
 * The request always gets the same answer, whether or not the login exists or has an email address.
 */
import { PASSWORD_RESET_TTL_MS } from '../constants';
import { activityStatement } from '../activities/record';
import type { Env } from '../env';
import { AppError } from '../errors';
import { hashPassword, randomToken, sha256Hex } from '../lib/crypto';
import { loadMessagingSettings } from '../messaging/settings';
import { renderEmailMessage, sendEmail } from '../messaging/service';
import { clearLoginFailuresStatement } from './login-lock';

export async function requestPasswordReset(env: Env, login: string, meta: { ip: string; client: string; nowMs: number; origin: string }): Promise<void> {
  const user = await env.DB.prepare('SELECT id, login, email, first_name, language FROM users WHERE lower(login) = lower(?) AND enabled = 1')
    .bind(login)
    .first<{ id: string; login: string; email: string | null; first_name: string; language: 'de' | 'en' }>();
  if (!user?.email) return;

  const token = randomToken(32);
  const link = `${meta.origin}/login/reset?token=${encodeURIComponent(token)}`;
  await env.DB.batch([
    // A new link voids the older ones: only the latest email works.
    env.DB.prepare(`UPDATE challenges SET consumed_at = ? WHERE user_id = ? AND purpose = 'password-reset' AND consumed_at IS NULL`).bind(meta.nowMs, user.id),
    env.DB.prepare(`INSERT INTO challenges (id, purpose, user_id, max_attempts, ip, created_at, expires_at) VALUES (?, 'password-reset', ?, 1, ?, ?, ?)`).bind(
      await sha256Hex(token),
      user.id,
      meta.ip,
      meta.nowMs,
      meta.nowMs + PASSWORD_RESET_TTL_MS,
    ),
    activityStatement(env.DB, { type: 'UserPasswortChangeRequest', userId: user.id, login: user.login, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs }),
  ]);
  const settings = await loadMessagingSettings(env);
  const message = renderEmailMessage(settings, user.language, { code: '', name: user.first_name || user.login, link, validityMs: PASSWORD_RESET_TTL_MS });
  try {
    await sendEmail(env, env.DB, { to: user.email, subject: message.subject, text: message.text, purpose: 'password-reset', language: user.language, userId: user.id, ip: meta.ip, nowMs: meta.nowMs, redact: [token], cooldown: true, settings });
  } catch (error) {
    // The answer must not differ for known users (enumeration); the failure is in the message log for admins.
    if (!(error instanceof AppError)) throw error;
  }
}

/** Consumes the link (once, before its expiry), sets the password, ends every session of the user. */
export async function completePasswordReset(env: Env, token: string, newPassword: string, meta: { ip: string; client: string; nowMs: number }): Promise<void> {
  const consumed = await env.DB.prepare(
    `UPDATE challenges SET consumed_at = ? WHERE id = ? AND purpose = 'password-reset' AND consumed_at IS NULL AND expires_at > ? RETURNING user_id`,
  )
    .bind(meta.nowMs, await sha256Hex(token), meta.nowMs)
    .first<{ user_id: string }>();
  if (!consumed) throw new AppError('CODE_EXPIRED', 'This link has expired or was already used. Ask for a new one.');
  const user = await env.DB.prepare('SELECT login FROM users WHERE id = ?').bind(consumed.user_id).first<{ login: string }>();
  await env.DB.batch([
    env.DB.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').bind(await hashPassword(newPassword), meta.nowMs, consumed.user_id),
    env.DB.prepare('DELETE FROM sessions WHERE user_id = ?').bind(consumed.user_id),
    clearLoginFailuresStatement(env.DB, user?.login ?? ''),
    activityStatement(env.DB, { type: 'UserPasswordChange', userId: consumed.user_id, channel: 'login', ip: meta.ip, client: meta.client, detail: { via: 'forgot-password' }, nowMs: meta.nowMs }),
  ]);
}
