/** User activities for administrators: detailed, grouped, CSV, the 90-day window and the cron purge. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { activityStatement } from '../../worker/activities/repo';
import { DAY_MS } from '../../worker/constants';
import { runScheduledPurge } from '../../worker/maintenance/purge';
import { adminClient, insertUser, unique } from '../helpers/worker';

describe('user activities', async () => {
  const admin = await adminClient();
  const now = Date.now();
  const alice = await insertUser({ login: unique('alice') });
  const ghost = unique('ghost');
  const record = (type: Parameters<typeof activityStatement>[1]['type'], userId: string | null, at: number, login?: string) =>
    activityStatement(env.DB, { type, userId, login, channel: 'login', ip: '192.0.2.1', client: 'test', nowMs: at }).run();
  await record('UserLoginAttempt', alice.id, now - 3000);
  await record('UserLogin', alice.id, now - 2000);
  await record('UserLogoff', alice.id, now - 1000);
  await record('UserLogin', alice.id, now - 91 * DAY_MS); // outside the window
  await record('UserLoginAttempt', null, now - 500, ghost);

  it('Detailed: newest first, filtered by user and type, only the last 90 days', async () => {
    const all = await admin.get(`/activities?user=${alice.login}`);
    expect(all.items.map((a: { type: string }) => a.type)).toEqual(['UserLogoff', 'UserLogin', 'UserLoginAttempt']);
    const logins = await admin.get(`/activities?user=${alice.login}&type=UserLogin`);
    expect(logins.total).toBe(1);
    const unknown = await admin.get(`/activities?user=${ghost}`);
    expect(unknown.items).toMatchObject([{ type: 'UserLoginAttempt', login: ghost, userId: null }]);
  });

  it('Grouped: per user, each activity with its count', async () => {
    const grouped = await admin.get(`/activities/grouped?user=${alice.login}`);
    expect(grouped.items).toEqual([
      expect.objectContaining({ login: alice.login, counts: { UserLogin: 1, UserLoginAttempt: 1, UserLogoff: 1 }, total: 3 }),
    ]);
  });

  it('exports what is shown as CSV, with formula injection neutralised', async () => {
    await record('UserLoginAttempt', null, now - 100, '=HYPERLINK("http://evil")');
    const response = await admin.request(`/activities?format=csv&user=${encodeURIComponent('=HYPERLINK')}`);
    expect(response.headers.get('content-type')).toContain('text/csv');
    const text = await response.text();
    expect(text.split('\r\n')[0]).toBe('timestamp,user,activity,channel,ip,client,detail');
    expect(text).toContain(`"'=HYPERLINK(""http://evil"")"`);
    const grouped = await (await admin.request(`/activities/grouped?format=csv&user=${alice.login}`)).text();
    expect(grouped.split('\r\n')[1]).toContain(`"${alice.login}","1","1","1"`);
  });

  it('the cron purge removes activities older than 90 days', async () => {
    await runScheduledPurge(env, now);
    const old = await env.DB.prepare('SELECT count(*) AS n FROM user_activities WHERE at < ?').bind(now - 90 * DAY_MS).first<{ n: number }>();
    expect(old!.n).toBe(0);
    const recent = await env.DB.prepare('SELECT count(*) AS n FROM user_activities WHERE user_id = ?').bind(alice.id).first<{ n: number }>();
    expect(recent!.n).toBe(3);
  });
});
