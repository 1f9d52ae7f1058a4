/**
 * Email to administrators when a user files an access recovery request ("User Issues"). Off until an administrator
 * switches it on; the in-app badge works either way.
 *
 * Runs after the response (waitUntil): a request filed for a real login must not take longer than one for an
 * unknown login, or the delay would tell which logins exist. Failures are logged, never shown to the requester.
 */
import type { Audit } from '../audit/record';
import type { Env } from '../env';
import { AppError } from '../errors';
import { linkOrigin } from '../lib/http';
import { sendEmail } from '../messaging/service';
import { readSetting, writeSettingStatement } from '../settings/repo';
import type { Authenticator } from './recovery-service';
import { adminsWithEmail } from './repo';

const NOTIFY_KEY = 'userIssues.notifyByEmail';

export function isIssueNotificationOn(db: D1Database): Promise<boolean> {
  return readSetting(db, NOTIFY_KEY, false);
}

export async function setIssueNotification(db: D1Database, notifyByEmail: boolean, nowMs: number, audit: Audit): Promise<void> {
  const before = await isIssueNotificationOn(db);
  await db.batch([
    writeSettingStatement(db, NOTIFY_KEY, notifyByEmail, nowMs),
    audit({ action: 'update', objectType: 'security_settings', objectId: NOTIFY_KEY, objectName: 'notifyByEmail', before: { notifyByEmail: before }, after: { notifyByEmail } }),
  ]);
}

export interface FiledIssue {
  login: string;
  lost: Authenticator[];
}

const TEXTS = {
  en: {
    subject: 'New access recovery request',
    body: (issue: FiledIssue, url: string | null) =>
      `The user "${issue.login}" asks to restore access (lost: ${issue.lost.join(', ')}).\n\n` +
      (url
        ? `Verify their identity before you approve it:\n${url}\n`
        : 'Verify their identity before you approve it under User Issues in the admin center.\n' +
          '(This email has no link because PUBLIC_ORIGIN is not set: set it to the address users open.)\n'),
  },
  de: {
    subject: 'Neue Anfrage zur Wiederherstellung des Zugangs',
    body: (issue: FiledIssue, url: string | null) =>
      `Der Benutzer „${issue.login}“ bittet um Wiederherstellung seines Zugangs (verloren: ${issue.lost.join(', ')}).\n\n` +
      (url
        ? `Prüfen Sie seine Identität, bevor Sie zustimmen:\n${url}\n`
        : 'Prüfen Sie seine Identität unter „Benutzeranfragen“ im Admin Center, bevor Sie zustimmen.\n' +
          '(Diese E-Mail enthält keinen Link, weil PUBLIC_ORIGIN nicht gesetzt ist: Setzen Sie es auf die Adresse, die Benutzer öffnen.)\n'),
  },
} as const;

/** The admin center's link, or null where linkOrigin refuses (the email then says where to look instead). */
function userIssuesUrl(env: Env, requestUrl: string): string | null {
  try {
    return `${linkOrigin(env, requestUrl)}/admin/user-issues`;
  } catch (error) {
    if (error instanceof AppError && error.code === 'PUBLIC_ORIGIN_REQUIRED') return null;
    throw error;
  }
}

export async function notifyAdminsOfNewIssue(env: Env, issue: FiledIssue, requestUrl: string, nowMs: number): Promise<void> {
  try {
    if (!(await isIssueNotificationOn(env.DB))) return;
    const url = userIssuesUrl(env, requestUrl);
    for (const admin of await adminsWithEmail(env.DB)) {
      const texts = TEXTS[admin.language];
      await sendEmail(env, env.DB, {
        purpose: 'user-issue-notification',
        to: admin.email,
        language: admin.language,
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
