/**
 * The User Activities CSV export is every row of the filter, streamed, not the page on screen: an incident review
 * that exports "all failed sign-ins of this login" must get all of them.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { activityStatement } from '../../worker/activities/repo';
import { activitiesCsvStream, groupedCsvStream } from '../../worker/activities/service';
import { CSV_EXPORT_CHUNK_ROWS } from '../../worker/constants';
import { USER_ACTIVITY_TYPES } from '../../worker/db/schema';
import { adminClient, unique } from '../helpers/worker';

describe('User Activities CSV export', async () => {
  const admin = await adminClient();
  const login = unique('sprayed-');
  const now = Date.now();
  // More rows than a page (25) and than one read of the stream (CSV_EXPORT_CHUNK_ROWS), several at the same
  // millisecond so the keyset must order by more than the time.
  const attempts = CSV_EXPORT_CHUNK_ROWS * 2 + 37;
  const statements = Array.from({ length: attempts }, (_, i) =>
    activityStatement(env.DB, { type: 'UserLoginAttempt', userId: null, login, channel: 'login', ip: '198.51.100.9', client: `bot ${i}`, nowMs: now - Math.floor(i / 3) }),
  );
  for (let i = 0; i < statements.length; i += 200) await env.DB.batch(statements.slice(i, i + 200));
  await env.DB.batch([activityStatement(env.DB, { type: 'UserLogin', userId: null, login, channel: 'login', nowMs: now })]);

  it('exports every row of the filter, each once, newest first; the JSON answer is still one page', async () => {
    const page = await admin.get(`/activities?user=${login}&type=UserLoginAttempt`);
    expect([page.items.length, page.total]).toEqual([25, attempts]);
    const response = await admin.request(`/activities?format=csv&user=${login}&type=UserLoginAttempt`);
    expect(response.headers.get('content-disposition')).toContain('user-activities.csv');
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines).toHaveLength(1 + attempts);
    const clients = lines.slice(1).map((line) => line.split('","')[5]);
    expect(new Set(clients).size).toBe(attempts);
    const times = lines.slice(1).map((line) => Date.parse(line.slice(1, 25)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(lines.some((line) => line.includes('UserLogin"'))).toBe(false);
  });

  it('small reads give the same rows as one large read', async () => {
    const whole = await new Response(activitiesCsvStream(env.DB, { user: login }, now + 1)).text();
    const inSevens = await new Response(activitiesCsvStream(env.DB, { user: login }, now + 1, 7)).text();
    expect(inSevens).toBe(whole);
    expect(whole.trim().split('\r\n')).toHaveLength(1 + attempts + 1);
  });

  it('the grouped export holds every group of the filter, not the page', async () => {
    const prefix = unique('group-');
    const many = Array.from({ length: 31 }, (_, i) => activityStatement(env.DB, { type: 'UserLoginAttempt', userId: null, login: `${prefix}${i}`, channel: 'login', nowMs: now - i }));
    await env.DB.batch(many);
    const response = await admin.request(`/activities/grouped?format=csv&user=${prefix}`);
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines).toHaveLength(1 + 31);
    const inFives = (await new Response(groupedCsvStream(env.DB, { user: prefix }, USER_ACTIVITY_TYPES, now + 1, 5)).text()).trim().split('\r\n');
    expect(inFives).toEqual(lines);
  });
});
