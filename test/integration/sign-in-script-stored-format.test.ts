/**
 * Programs stored by an older engine still run: a version row whose `compiled` column holds the first format
 * (bare numeric tags, parameters by position, exactly as that engine wrote it) is compiled again from its source
 * when a sign-in reads it, runs as before, and is stored in the current format, once.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPILED_FORMAT_VERSION } from '../../script-engine';
import { APPLIED_VERSION_KEY } from '../../worker/scripts/repo';
import { runAppliedScript } from '../../worker/scripts/service';
import { adminClient, insertUser, unique } from '../helpers/worker';

const SURNAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname';

const source = (groupId: string) => `version: 1
actions:
  - SetValue:
      object: { var: Context.User }
      field: lastName
      value: { GetEntry: { key: "${SURNAME}", index: 0 } }
  - SaveInstance: { object: { var: Context.User } }
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, admin ] }
      then:
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${groupId}" }
`;

/** What the format-1 engine stored for `source` (its compileScript output, JSON.stringify'd). */
const formatOne = (groupId: string) =>
  `{"format":"eid-script/1","onError":"deny","actions":[[3,"SetValue",[[1,"Context.User"],[0,"lastName"],[3,"GetEntry",[null,[0,"${SURNAME}"],[0,0]],6,14]],3,5],[3,"SaveInstance",[[1,"Context.User"]],7,5],[3,"IfThenElse",[[3,"EqualTo",[[3,"GetEntry",[null,[0,"extRole"],[0,0]],9,24],[0,"admin"],null],9,11],[2,[[3,"AddUserToGroup",[[1,"Context.UserId"],[0,"${groupId}"]],11,11]]],null],8,5]]}`;

let groupId: string;
let version: number;

async function signIn(userId: string, claims: Record<string, string[]>) {
  const userRow = (await env.DB.prepare('SELECT * FROM users WHERE id = ?').bind(userId).first<Record<string, unknown>>())!;
  const outcome = await runAppliedScript(env.DB, { claims, userId, userRow, nowMs: Date.now() });
  if (outcome.outcome === 'allow' && outcome.statements.length) await env.DB.batch(outcome.statements);
  return outcome;
}

const storedCompiled = async () => (await env.DB.prepare('SELECT compiled FROM sign_in_script_versions WHERE version = ?').bind(version).first<{ compiled: string }>())!.compiled;

beforeAll(async () => {
  const admin = await adminClient();
  groupId = (await admin.post('/groups', { name: unique('Group ') })).id;
  const now = Date.now();
  const [inserted] = await env.DB.batch<{ version: number }>([
    env.DB.prepare(
      "INSERT INTO sign_in_script_versions (version, source, compiled, on_error, saved_by_user_id, saved_at) SELECT COALESCE(MAX(version), 0) + 1, ?, ?, 'deny', NULL, ? FROM sign_in_script_versions RETURNING version",
    ).bind(source(groupId), formatOne(groupId), now),
  ]);
  version = inserted!.results[0]!.version;
  await env.DB.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
    .bind(APPLIED_VERSION_KEY, JSON.stringify(version), now)
    .run();
});

describe('a program stored in the first format', () => {
  it('runs at sign-in (compiled again from its source), with the same effects, and is stored in the current format', async () => {
    const user = await insertUser();
    const outcome = await signIn(user.id, { [SURNAME]: ['Lovelace'], extRole: ['admin'] });
    expect(outcome.outcome).toBe('allow');
    expect((await env.DB.prepare('SELECT last_name FROM users WHERE id = ?').bind(user.id).first<{ last_name: string }>())!.last_name).toBe('Lovelace');
    expect(await env.DB.prepare('SELECT 1 AS member FROM group_members WHERE group_id = ? AND user_id = ?').bind(groupId, user.id).first()).toEqual({ member: 1 });

    const upgraded = JSON.parse(await storedCompiled());
    expect(upgraded).toMatchObject({ format: 'eid-script', formatVersion: COMPILED_FORMAT_VERSION, onError: 'deny' });
    expect(upgraded.actions[0]).toMatchObject({ tag: 'action', action: 'SetValue', params: { field: { tag: 'const', value: 'lastName' } }, line: 3, column: 5 });
  });

  it('then runs from the stored current form, unchanged by further sign-ins', async () => {
    const stored = await storedCompiled();
    const user = await insertUser();
    expect(await signIn(user.id, { [SURNAME]: ['Hopper'], extRole: ['user'] })).toEqual({ outcome: 'allow', statements: expect.any(Array) });
    expect((await env.DB.prepare('SELECT last_name FROM users WHERE id = ?').bind(user.id).first<{ last_name: string }>())!.last_name).toBe('Hopper');
    expect(await env.DB.prepare('SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?').bind(groupId, user.id).first()).toBeNull();
    expect(await storedCompiled()).toBe(stored);
  });

  it('a stored program that is not well formed fails that sign-in by the policy, and is not replaced', async () => {
    // Stored data is input too: a current-format row whose action names no declaration must not run.
    const broken = JSON.stringify({ format: 'eid-script', formatVersion: COMPILED_FORMAT_VERSION, onError: 'deny', actions: [{ tag: 'action', action: 'NoSuchAction', params: {}, line: 1, column: 1 }] });
    const good = await storedCompiled();
    await env.DB.prepare('UPDATE sign_in_script_versions SET compiled = ? WHERE version = ?').bind(broken, version).run();
    const user = await insertUser();
    const outcome = await signIn(user.id, { extRole: ['admin'] });
    expect(outcome).toMatchObject({ outcome: 'deny', reason: expect.stringContaining('could not be loaded') });
    expect(await storedCompiled()).toBe(broken);
    await env.DB.prepare('UPDATE sign_in_script_versions SET compiled = ? WHERE version = ?').bind(good, version).run();
  });
});
