/**
 * The sign-in script as administrators manage it (/api/admin/sign-in-script) and as the SAML sign-in runs it
 * (runAppliedScript): save with checking, versions and restore, the kill switch, the dry test run, and effects
 * applied in one batch or not at all according to the script's error policy.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeScriptProblem, SCRIPT_PROBLEM_TEXTS } from '../../script-engine';
import { SCRIPT_TEST_RUN_ANSWER_MAX_BYTES } from '../../worker/constants';
import { runAppliedScript } from '../../worker/scripts/service';
import { adminClient, insertUser, json, unique } from '../helpers/worker';

let admin: Awaited<ReturnType<typeof adminClient>>;
let officeId: string;
let groupId: string;

const SURNAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname';

const example = (office: string, group: string) => `version: 1
actions:
  - SetValue:
      object: { var: Context.User }
      field: lastName
      value: { GetEntry: { key: "${SURNAME}", index: 0 } }
  - SaveInstance: { object: { var: Context.User } }
  - IfThenElse:
      if: { EqualTo: [ { GetEntry: { key: extRole, index: 0 } }, admin ] }
      then:
        - AddUserToOffice: { userId: { var: Context.UserId }, officeId: "${office}" }
        - AddUserToGroup: { userId: { var: Context.UserId }, groupId: "${group}" }
      else:
        - DeleteUserFromGroup: { userId: { var: Context.UserId }, groupId: "${group}" }
`;

async function userRow(id: string) {
  return (await env.DB.prepare('SELECT * FROM users WHERE id = ?').bind(id).first<Record<string, unknown>>())!;
}

async function signInWithScript(userId: string, claims: Record<string, string[]>) {
  const outcome = await runAppliedScript(env.DB, { claims, userId, userRow: await userRow(userId), nowMs: Date.now() });
  if (outcome.outcome === 'allow' && outcome.statements.length) await env.DB.batch(outcome.statements);
  return outcome;
}

async function memberships(userId: string) {
  const offices = await env.DB.prepare('SELECT office_id FROM office_members WHERE user_id = ?').bind(userId).all<{ office_id: string }>();
  const groups = await env.DB.prepare('SELECT group_id FROM group_members WHERE user_id = ?').bind(userId).all<{ group_id: string }>();
  return { offices: offices.results.map((r) => r.office_id), groups: groups.results.map((r) => r.group_id) };
}

beforeAll(async () => {
  admin = await adminClient();
  officeId = (await admin.post('/offices', { name: unique('Office ') })).id;
  groupId = (await admin.post('/groups', { name: unique('Group ') })).id;
});

describe('/api/admin/sign-in-script', () => {
  it('has no script at first, and refuses to save one with errors (nothing stored)', async () => {
    expect((await admin.get('/sign-in-script')).script).toBeNull();
    const response = await admin.request('/sign-in-script', { method: 'PUT', json: { source: example('no-such-office', groupId) } });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.code).toBe('SCRIPT_INVALID');
    expect(body.error.details.errors[0]).toMatchObject({ code: 'UNKNOWN_ID', line: 11 });
    expect((await admin.get('/sign-in-script')).versions).toEqual([]);
  });

  it('checks a draft with the same checker (for the designer markers)', async () => {
    const answer = await admin.post('/sign-in-script/check', { source: 'version: 1\nactions:\n  - SetValue: { object: { var: Context.User }, field: isAdmin, value: true }\n' });
    expect(answer.ok).toBe(false);
    expect(answer.errors[0]).toMatchObject({ code: 'READ_ONLY_FIELD', line: 3 });
  });

  it('serves the action catalogue and the user fields for completion and GetSystemName', async () => {
    const actions = await admin.get('/sign-in-script/actions');
    expect(actions.items.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['GetEntry', 'SetValue', 'SaveInstance', 'EqualTo', 'IfThenElse', 'AddUserToOffice', 'DeleteUserFromGroup']));
    const fields = await admin.get('/sign-in-script/user-fields');
    expect(fields.items.find((f: { name: string }) => f.name === 'isAdmin').writable).toBe(false);
  });

  it('saves versions, restores an old one as a new version, and deletes (history kept)', async () => {
    const first = await (await admin.request('/sign-in-script', { method: 'PUT', json: { source: example(officeId, groupId) } })).json<any>();
    expect(first.script.version).toBe(1);
    const second = await (await admin.request('/sign-in-script', { method: 'PUT', json: { source: 'version: 1\nactions:\n  - Comment: second\n', onError: 'continue' } })).json<any>();
    expect(second.script).toMatchObject({ version: 2, onError: 'continue' });
    const restored = await admin.post('/sign-in-script/versions/1/restore', {});
    expect(restored.script.version).toBe(3);
    expect(restored.script.source).toBe(example(officeId, groupId));
    expect(restored.versions.map((v: { version: number; applied: boolean }) => [v.version, v.applied])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
  });

  it('test run shows the trace and what would change, and changes nothing', async () => {
    const user = await insertUser();
    const result = await admin.post('/sign-in-script/test-run', { source: example(officeId, groupId), claims: { [SURNAME]: ['Tested'], extRole: ['admin'] }, userId: user.id });
    expect(result.outcome).toBe('success');
    // As data, which the designer says in the page's language.
    expect(result.wouldApply).toEqual([
      { change: 'set', field: 'lastName', value: 'Tested' },
      { change: 'add', kind: 'office', name: expect.any(String) },
      { change: 'add', kind: 'group', name: expect.any(String) },
    ]);
    expect(result.trace.length).toBeGreaterThan(3);
    expect((await userRow(user.id)).last_name).not.toBe('Tested');
    expect(await memberships(user.id)).toEqual({ offices: [], groups: [] });
  });
});

describe('the test run says why changes would fail as a script problem, which the designer renders in its language', () => {
  const setFromClaim = (field: string) => `version: 1
actions:
  - SetValue: { object: { var: Context.User }, field: ${field}, value: { GetEntry: { key: value, index: 0 } } }
  - SaveInstance: { object: { var: Context.User } }
`;
  const wouldFail = async (field: string, value: string) =>
    (await admin.post('/sign-in-script/test-run', { source: setFromClaim(field), claims: { value: [value] }, userId: (await insertUser()).id })).wouldFail;

  it('a value the user field does not take: its code and parameters, with the English text for API clients', async () => {
    const refused = await wouldFail('language', 'fr');
    expect(refused).toEqual({ code: 'INVALID_VALUE', problem: 'userFieldLanguage', params: { name: 'language' }, message: 'The user field "language" takes "de" or "en".' });
    expect(SCRIPT_PROBLEM_TEXTS.de.userFieldLanguage(refused.params)).toBe('Das Benutzerfeld „language“ nimmt „de“ oder „en“.');
    expect(await wouldFail('firstName', 'x'.repeat(101))).toMatchObject({ code: 'STRING_TOO_LONG', problem: 'userFieldTooLong', params: { name: 'firstName', max: 100 } });
    expect(await wouldFail('email', 'not an address')).toMatchObject({ code: 'INVALID_VALUE', problem: 'userFieldNotEmail', params: { name: 'email' } });
  });

  it("another account's email address", async () => {
    const email = `${unique('taken')}@example.com`;
    await admin.post('/users', { login: unique('holder'), email });
    const refused = await wouldFail('email', email.toUpperCase());
    expect(refused).toMatchObject({ code: 'INVALID_VALUE', problem: 'emailOfAnotherAccount', params: {} });
    expect(describeScriptProblem(refused, 'de')).toBe('Die E-Mail-Adresse gehört zu einem anderen Konto.');
  });
});

describe('the test run answers at most SCRIPT_TEST_RUN_ANSWER_MAX_BYTES (1 MB)', () => {
  async function testRun(source: string, claims: Record<string, string[]>) {
    const response = await admin.request('/sign-in-script/test-run', { method: 'POST', json: { source, claims } });
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { bytes: bytes.length, answer: JSON.parse(new TextDecoder().decode(bytes)) };
  }
  const many = Array.from({ length: 100 }, (_, i) => String(i));

  it('the 62.8 MB answer of a 13 KB script: the trace stops at its budget and the answer says so', async () => {
    // Attack: every step that reads a 40 KB claim copies it into the trace; 60 x 60 such steps answered well over
    // a hundred megabytes, built in the Worker's memory first.
    const source = `version: 1
actions:
  - Let: { name: big, value: { GetEntry: { key: big } } }
  - ForEach: { items: { GetEntry: { key: n } }, as: i, do: [ { ForEach: { items: { GetEntry: { key: n } }, as: j, do: [ { Let: { name: copy, value: { var: big } } } ] } } ] }
`;
    const { bytes, answer } = await testRun(source, { big: Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(4000, 'x')), n: many.slice(0, 60) });
    expect(bytes).toBeLessThanOrEqual(SCRIPT_TEST_RUN_ANSWER_MAX_BYTES);
    expect(answer).toMatchObject({ outcome: 'success', traceTruncated: true, effectsTruncated: false });
  });

  it('a source of 8,000 one-line mistakes answers the first 100 and TOO_MANY_ERRORS (1.4 MB of markers at 64 KiB before)', async () => {
    // Attack: `- x` is 6 bytes of source and 130 bytes of error; 8,000 of them fit the request limit.
    const response = await admin.request('/sign-in-script/test-run', { method: 'POST', json: { source: `version: 1\nactions:\n${'  - x\n'.repeat(8000)}` } });
    expect(response.status).toBe(200);
    const bytes = (await response.clone().arrayBuffer()).byteLength;
    const answer = await json(response);
    expect(bytes).toBeLessThan(20_000);
    expect(answer.errors).toHaveLength(101);
    expect(answer.errors[100]).toMatchObject({ code: 'TOO_MANY_ERRORS', line: 103 });
  });

  it('70 saves of long texts that JSON escapes six-fold: the effects are cut too, and the answer says so', async () => {
    // Attack: the trace is bounded, so put the bulk in the effects: each save carries a 4,000-character text of
    // control characters (24 KB once escaped), 70 of them in one run (as many as the work budget allows).
    const source = `version: 1
actions:
  - ForEach:
      items: { GetEntry: { key: n } }
      as: i
      do:
        - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: a, index: 0 } } }
        - SaveInstance: { object: { var: Context.User } }
        - SetValue: { object: { var: Context.User }, field: lastName, value: { GetEntry: { key: b, index: 0 } } }
        - SaveInstance: { object: { var: Context.User } }
`;
    const { bytes, answer } = await testRun(source, { a: ['\u0007'.repeat(4000)], b: ['\u0008'.repeat(4000)], n: many.slice(0, 35) });
    expect(bytes).toBeLessThanOrEqual(SCRIPT_TEST_RUN_ANSWER_MAX_BYTES);
    expect(answer.error).toBeNull();
    expect(answer).toMatchObject({ outcome: 'success', traceTruncated: true, effectsTruncated: true });
    expect(answer.effects.length).toBeGreaterThan(0);
    expect(answer.effects.length).toBeLessThan(70);
  });
});

describe('running the applied script at sign-in', () => {
  it('applies the effects: names from claims, memberships by role', async () => {
    const user = await insertUser();
    const outcome = await signInWithScript(user.id, { [SURNAME]: ['Lovelace'], extRole: ['admin'] });
    expect(outcome.outcome).toBe('allow');
    expect((await userRow(user.id)).last_name).toBe('Lovelace');
    expect(await memberships(user.id)).toEqual({ offices: [officeId], groups: [groupId] });
    await signInWithScript(user.id, { [SURNAME]: ['Lovelace'], extRole: ['user'] });
    expect(await memberships(user.id)).toEqual({ offices: [officeId], groups: [] });
  });

  it('the kill switch stops the script without deleting it', async () => {
    await admin.put('/sign-in-script/enabled', { enabled: false });
    const user = await insertUser();
    expect(await signInWithScript(user.id, { [SURNAME]: ['Ignored'] })).toEqual({ outcome: 'allow', statements: [] });
    expect((await userRow(user.id)).last_name).not.toBe('Ignored');
    expect((await admin.get('/sign-in-script')).script).not.toBeNull();
    await admin.put('/sign-in-script/enabled', { enabled: true });
  });

  it('a failing script denies the sign-in by default and applies nothing', async () => {
    // The office is deleted after the script was saved: its effect can no longer be applied.
    const doomed = (await admin.post('/offices', { name: unique('Doomed ') })).id;
    await admin.put('/sign-in-script', { source: example(doomed, groupId) });
    await admin.request(`/offices/${doomed}`, { method: 'DELETE' });
    const user = await insertUser();
    const outcome = await signInWithScript(user.id, { [SURNAME]: ['Never'], extRole: ['admin'] });
    expect(outcome).toMatchObject({ outcome: 'deny', reason: expect.stringContaining(`UNKNOWN_ID: There is no workspace (office) with id "${doomed}"`) });
    expect((await userRow(user.id)).last_name).not.toBe('Never');
  });

  it('with onError: continue, the sign-in goes on without any of the script effects', async () => {
    const doomed = (await admin.post('/offices', { name: unique('Doomed ') })).id;
    await admin.put('/sign-in-script', { source: example(doomed, groupId), onError: 'continue' });
    await admin.request(`/offices/${doomed}`, { method: 'DELETE' });
    const user = await insertUser();
    const outcome = await signInWithScript(user.id, { [SURNAME]: ['Never'], extRole: ['admin'] });
    expect(outcome).toMatchObject({ outcome: 'allow', statements: [], note: expect.stringContaining('continued without it') });
    expect((await userRow(user.id)).last_name).not.toBe('Never');
  });

  it('a Deny action refuses the sign-in whatever the policy', async () => {
    await admin.put('/sign-in-script', { source: 'version: 1\nonError: continue\nactions:\n  - IfThenElse: { if: { IsEmpty: { GetEntry: { key: dept } } }, then: [ { Deny: "no department claim" } ] }\n', onError: 'continue' });
    const user = await insertUser();
    expect(await signInWithScript(user.id, {})).toEqual({ outcome: 'deny', reason: 'sign-in script denied: no department claim' });
    expect((await signInWithScript(user.id, { dept: ['IT'] })).outcome).toBe('allow');
  });

  it('deleting the script stops it; the history stays', async () => {
    await admin.request('/sign-in-script', { method: 'DELETE' });
    const state = await admin.get('/sign-in-script');
    expect(state.script).toBeNull();
    expect(state.versions.length).toBeGreaterThan(3);
    const user = await insertUser();
    expect(await signInWithScript(user.id, {})).toEqual({ outcome: 'allow', statements: [] });
  });
});
