/**
 * Email to administrators when a user files an access recovery request ("User Issues"). Off until an administrator
 * switches it on; the in-app badge works either way.
 *
 * Runs after the response (waitUntil): a request filed for a real login must not take longer than one for an
 * unknown login, or the delay would tell which logins exist. Failures are logged, never shown to the requester.
 */
import type { Env } from '../env';
import { sendEmail } from '../messaging/service';
import { readSetting, writeSettingStatement } from '../settings/platform';
import type { Authenticator } from './recovery-service';

const NOTIFY_KEY = 'userIssues.notifyByEmail';

export function isIssueNotificationOn(db: D1Database): Promise<boolean> {
  return readSetting(db, NOTIFY_KEY, false);
}

export async function setIssueNotification(db: D1Database, notifyByEmail: boolean, nowMs: number): Promise<void> {
  await writeSettingStatement(db, NOTIFY_KEY, notifyByEmail, nowMs).run();
}

export interface FiledIssue {
  login: string;
  lost: Authenticator[];
}

const TEXTS = {
  en: {
    subject: 'New access recovery request',
    body: (issue: FiledIssue, url: string) =>
      `The user "${issue.login}" asks to restore access (lost: ${issue.lost.join(', ')}).\n\nVerify their identity before you approve it:\n${url}\n`,
  },
  de: {
    subject: 'Neue Anfrage zur Wiederherstellung des Zugangs',
    body: (issue: FiledIssue, url: string) =>
      `Der Benutzer „${issue.login}“ bittet um Wiederherstellung seines Zugangs (verloren: ${issue.lost.join(', ')}).\n\nPrüfen Sie seine Identität, bevor Sie zustimmen:\n${url}\n`,
  },
} as const;

export async function notifyAdminsOfNewIssue(env: Env, issue: FiledIssue, requestUrl: string, nowMs: number): Promise<void> {
  try {
    // As publicOrigin() in lib/http: the configured origin, else the request's.
    const origin = env.PUBLIC_ORIGIN?.trim().replace(/\/$/, '') || new URL(requestUrl).origin;
    if (!(await isIssueNotificationOn(env.DB))) return;
    const { results: admins } = await env.DB.prepare(
      `SELECT id, email, language FROM users WHERE is_admin = 1 AND enabled = 1 AND email IS NOT NULL AND email != ''`,
    ).all<{ id: string; email: string; language: 'de' | 'en' | null }>();
    const url = `${origin}/admin/user-issues`;
    for (const admin of admins) {
      const texts = TEXTS[admin.language === 'de' ? 'de' : 'en'];
      await sendEmail(env, env.DB, {
        purpose: 'user-issue-notification',
        to: admin.email,
        language: admin.language === 'de' ? 'de' : 'en',
        userId: admin.id,
        subject: texts.subject,
        text: texts.body(issue, url),
        nowMs,
      }).catch((error: unknown) => console.warn(`user issue notification to an administrator failed: ${(error as Error).message}`));
    }
  } catch (error) {
    console.warn(`user issue notification failed: ${(error as Error).message}`);
  }
}
