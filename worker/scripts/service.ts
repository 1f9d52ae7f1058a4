/**
 * The sign-in script as the platform runs it: compile on save (with the ids and fields that exist right now),
 * run before a SAML sign-in completes, and turn the script's effects into one D1 batch that the sign-in applies
 * together with its session, or not at all. Also the admin's dry "test run".
 */
import { compileScript, isCurrentFormat, loadProgram, problemReport, runProgram, type CompiledProgram, type CompileOptions, type Effect, type ProblemReport, type RunResult } from '../../script-engine';
import type { Audit } from '../audit/record';
import { SCRIPT_TEST_RUN_ANSWER_MAX_BYTES } from '../constants';
import { AppError } from '../errors';
import { identityKeyColumns, identityTaken } from '../lib/identity';
import { addMemberStatement, removeMemberStatement } from '../organisation/repo';
import { NOT_THE_LAST_ADMIN } from '../users/repo';
import {
  clearAppliedStatement,
  insertAndApplyVersion,
  listVersions,
  loadVersion,
  membershipTargetName,
  readAppliedVersion,
  readOfficeAndGroupIds,
  readScriptEnabled,
  readUserRow,
  replaceCompiled,
  setEnabledStatement,
  updateUserColumnsStatement,
  type ScriptVersionRow,
} from './repo';
import { SCRIPT_USER_FIELDS, scriptUserFieldNamed, scriptUserOf } from './user-fields';

export type OnErrorPolicy = 'deny' | 'continue';

export interface ScriptState {
  script: { version: number; source: string; onError: OnErrorPolicy; savedAt: number; savedBy: string | null } | null;
  enabled: boolean;
  versions: Array<{ version: number; onError: OnErrorPolicy; savedAt: number; savedBy: string | null; applied: boolean }>;
}

export async function readScriptState(db: D1Database): Promise<ScriptState> {
  const [applied, enabled, versions] = await Promise.all([readAppliedVersion(db), readScriptEnabled(db), listVersions(db)]);
  const current = applied === null ? null : await loadVersion(db, applied);
  return {
    script: current
      ? { version: current.version, source: current.source, onError: current.onError, savedAt: current.savedAt, savedBy: current.savedByLogin }
      : null,
    enabled,
    versions: versions.map((v) => ({ version: v.version, onError: v.onError, savedAt: v.savedAt, savedBy: v.savedByLogin, applied: v.version === applied })),
  };
}

/** What the checker needs to know about this deployment: which ids exist and which user fields a script may touch. */
export async function compileOptionsFor(db: D1Database): Promise<CompileOptions> {
  const { officeIds, groupIds } = await readOfficeAndGroupIds(db);
  return {
    knownOfficeIds: officeIds,
    knownGroupIds: groupIds,
    userFields: SCRIPT_USER_FIELDS.map((field) => ({ name: field.name, writable: field.writable, type: field.type, description: field.description })),
  };
}

export async function checkScriptSource(db: D1Database, source: string) {
  const result = compileScript(source, await compileOptionsFor(db));
  return result.ok ? { ok: true as const, errors: [], warnings: result.warnings } : { ok: false as const, errors: result.errors, warnings: [] };
}

/** Saves and applies a new version. The error policy is the request's, else the one the script itself names. */
export async function saveScript(
  db: D1Database,
  input: { source: string; onError?: OnErrorPolicy; savedByUserId: string | null; nowMs: number },
  audit: Audit,
  action: 'save' | 'restore' = 'save',
): Promise<ScriptState> {
  const result = compileScript(input.source, await compileOptionsFor(db));
  if (!result.ok) throw new AppError('SCRIPT_INVALID', `The script has ${result.errors.length} error(s).`, { errors: result.errors });
  const onError = input.onError ?? result.program.onError;
  const appliedBefore = await readAppliedVersion(db);
  // The trail names versions; their text stays in the version history (a script holds no secret, but is long).
  await insertAndApplyVersion(db, { source: input.source, compiled: JSON.stringify(result.program), onError, savedByUserId: input.savedByUserId, nowMs: input.nowMs }, audit, {
    action,
    objectId: null,
    objectName: 'Sign-in script',
    before: { appliedVersion: appliedBefore },
    after: { onError, sourceBytes: new TextEncoder().encode(input.source).byteLength },
  });
  return readScriptState(db);
}

/** A new version with an old version's text (history stays linear; nothing is rewritten). */
export async function restoreVersion(db: D1Database, version: number, savedByUserId: string | null, nowMs: number, audit: Audit): Promise<ScriptState> {
  const old = await loadVersion(db, version);
  if (!old) throw new AppError('NOT_FOUND', `There is no version ${version}.`);
  return saveScript(db, { source: old.source, onError: old.onError, savedByUserId, nowMs }, (change) => audit({ ...change, after: { ...(change.after as object), restoredVersion: version } }), 'restore');
}

export async function deleteScript(db: D1Database, nowMs: number, audit: Audit): Promise<void> {
  const appliedBefore = await readAppliedVersion(db);
  await db.batch([
    clearAppliedStatement(db, nowMs),
    audit({ action: 'delete', objectType: 'sign_in_script', objectId: null, objectName: 'Sign-in script', before: { appliedVersion: appliedBefore }, after: { appliedVersion: null } }),
  ]);
}

export async function setScriptEnabled(db: D1Database, enabled: boolean, nowMs: number, audit: Audit): Promise<void> {
  const before = await readScriptEnabled(db);
  await db.batch([
    setEnabledStatement(db, enabled, nowMs),
    audit({ action: 'update', objectType: 'sign_in_script', objectId: null, objectName: 'Sign-in script', before: { enabled: before }, after: { enabled } }),
  ]);
}

export async function readVersionSource(db: D1Database, version: number) {
  const row = await loadVersion(db, version);
  if (!row) throw new AppError('NOT_FOUND', `There is no version ${version}.`);
  return { version: row.version, source: row.source, onError: row.onError, savedAt: row.savedAt, savedBy: row.savedByLogin };
}

// ---------------------------------------------------------------- running

export interface ScriptRunInput {
  claims: Record<string, string[]>;
  userId: string;
  /** The users row (snake_case columns) of the user about to sign in. */
  userRow: Record<string, unknown>;
  nowMs: number;
}

export type ScriptOutcome =
  | { outcome: 'allow'; statements: D1PreparedStatement[]; note?: string }
  | { outcome: 'deny'; reason: string };

/**
 * Runs the applied script for a sign-in. No script, or the kill switch off: allow with nothing to apply.
 * A failing script (or an effect that cannot be applied) follows the script's policy: deny (default) or continue
 * without any of its effects; the reason is returned for the sign-in attempt's record.
 */
export async function runAppliedScript(db: D1Database, input: ScriptRunInput): Promise<ScriptOutcome> {
  const [applied, enabled] = await Promise.all([readAppliedVersion(db), readScriptEnabled(db)]);
  if (applied === null || !enabled) return { outcome: 'allow', statements: [] };
  const version = await loadVersion(db, applied);
  if (!version) return { outcome: 'allow', statements: [] };

  const failed = (reason: string): ScriptOutcome =>
    version.onError === 'continue' ? { outcome: 'allow', statements: [], note: `sign-in script failed, continued without it: ${reason}` } : { outcome: 'deny', reason: `sign-in script: ${reason}` };

  let result: RunResult;
  try {
    result = runProgram(await storedProgram(db, version), { claims: input.claims, user: scriptUserOf(input.userRow), userId: input.userId });
  } catch (error) {
    // runProgram never throws by contract; a stored program that no longer loads is still only this sign-in's problem.
    return failed(`the stored program could not be loaded (${(error as Error).message})`);
  }
  if (result.outcome !== 'success') return failed(`${result.error?.code ?? 'ERROR'}: ${result.error?.message ?? 'the script failed'}`);
  if (result.denied) return { outcome: 'deny', reason: `sign-in script denied: ${result.denied}` };

  const planned = await effectStatements(db, result.effects, input.userId, input.nowMs);
  if (!planned.ok) return failed(`${planned.problem.code}: ${planned.problem.message}`);
  return { outcome: 'allow', statements: planned.statements };
}

/**
 * A version's program in this engine's format. One stored by an older engine (another formatVersion) is compiled
 * again from its source and stored, so the upgrade happens once. It is compiled without this deployment's ids and
 * fields, as the stored program was run: ids that no longer exist fail when the effects are applied, as before.
 */
export async function storedProgram(db: D1Database, version: Pick<ScriptVersionRow, 'version' | 'source' | 'compiled'>): Promise<CompiledProgram> {
  const stored: unknown = JSON.parse(version.compiled);
  if (isCurrentFormat(stored)) return loadProgram(stored);
  const compiled = compileScript(version.source);
  if (!compiled.ok) throw new Error(`version ${version.version} no longer compiles (${compiled.errors[0]!.code}: ${compiled.errors[0]!.message})`);
  const upgraded = JSON.stringify(compiled.program);
  try {
    await replaceCompiled(db, version.version, version.compiled, upgraded);
  } catch {
    // The program is in hand; a failed write only means compiling it again at the next sign-in.
  }
  return compiled.program;
}

/** Effects that cannot be applied say why as a script problem, which the designer renders in the page's language. */
type Planned = { ok: true; statements: D1PreparedStatement[]; described: ScriptChange[] } | { ok: false; problem: ProblemReport };

/** One change a run would apply, as data: the designer says it in the page's language. */
export type ScriptChange = { change: 'set'; field: string; value: unknown } | { change: 'add' | 'remove'; kind: 'office' | 'group'; name: string };

/**
 * Checks every effect against the database as it is now (ids still exist, values acceptable, only this user) and
 * prepares the statements. Nothing runs here: the caller batches them with the sign-in.
 */
export async function effectStatements(db: D1Database, effects: readonly Effect[], userId: string, nowMs: number): Promise<Planned> {
  const statements: D1PreparedStatement[] = [];
  const described: ScriptChange[] = [];
  for (const effect of effects) {
    if (effect.kind === 'saveUser') {
      const entries = Object.entries(effect.changes);
      if (entries.length === 0) continue;
      const columns: Array<[string, unknown]> = [];
      for (const [name, value] of entries) {
        const field = scriptUserFieldNamed(name);
        if (!field) return { ok: false, problem: problemReport('userFieldMissing', { name }) };
        if (!field.writable) return { ok: false, problem: problemReport('readOnlyField', { name }) };
        const problem = field.check?.(value);
        if (problem) return { ok: false, problem };
        if (name === 'email') {
          // An IdP claim must not give this user an address another account holds under the identity key.
          if ((await identityTaken(db, { email: value as string, exceptUserId: userId })) === 'email') {
            return { ok: false, problem: problemReport('emailOfAnotherAccount') };
          }
          columns.push(['email_key', identityKeyColumns({ email: value as string }).email_key]);
        }
        columns.push([field.column, field.type === 'boolean' ? (value ? 1 : 0) : value]);
        described.push({ change: 'set', field: name, value });
      }
      // A script may disable the user signing in, but never the last enabled administrator (then nothing changes).
      statements.push(updateUserColumnsStatement(db, userId, columns, nowMs, effect.changes.enabled === false ? NOT_THE_LAST_ADMIN : null));
      continue;
    }
    // Membership changes: a script may only change the memberships of the user signing in.
    if (effect.userId !== userId) return { ok: false, problem: problemReport('membershipsOfAnotherUser', { id: effect.userId }) };
    const kind = effect.kind === 'addToOffice' || effect.kind === 'removeFromOffice' ? 'office' : 'group';
    const targetId = kind === 'office' ? (effect as { officeId: string }).officeId : (effect as { groupId: string }).groupId;
    const targetName = await membershipTargetName(db, kind, targetId);
    if (targetName === null) return { ok: false, problem: problemReport('unknownId', { kind, id: targetId }) };
    const adding = effect.kind === 'addToOffice' || effect.kind === 'addToGroup';
    statements.push(adding ? addMemberStatement(db, kind, targetId, userId, nowMs) : removeMemberStatement(db, kind, targetId, userId));
    described.push({ change: adding ? 'add' : 'remove', kind, name: targetName });
  }
  return { ok: true, statements, described };
}

/** The admin's test run: the script (saved or being edited) on sample claims and a user; nothing is written. */
export async function testRunScript(db: D1Database, input: { source: string; claims: Record<string, string[]>; userId: string | null; nowMs: number }) {
  const compiled = compileScript(input.source, await compileOptionsFor(db));
  if (!compiled.ok) return { ok: false as const, errors: compiled.errors };
  const row = input.userId ? await readUserRow(db, input.userId) : null;
  if (input.userId && !row) throw new AppError('USER_NOT_FOUND');
  const userId = input.userId ?? '00000000-0000-4000-8000-000000000000';
  const userRow = row ?? { id: userId, login: 'sample.user', first_name: '', last_name: '', email: null, phone: null, language: 'en', enabled: 1, is_admin: 0 };
  const result = runProgram(compiled.program, { claims: input.claims, user: scriptUserOf(userRow), userId }, { dryRun: true });
  const planned = result.outcome === 'success' ? await effectStatements(db, result.effects, userId, input.nowMs) : null;
  return capTestRunAnswer(
    {
      ok: true as const,
      outcome: result.outcome,
      error: result.error ?? null,
      denied: result.denied ?? null,
      trace: result.trace ?? [],
      traceTruncated: result.traceTruncated ?? false,
      effects: result.effects,
      wouldApply: planned?.ok ? planned.described : [],
      effectsTruncated: false,
      wouldFail: planned && !planned.ok ? planned.problem : null,
    },
    SCRIPT_TEST_RUN_ANSWER_MAX_BYTES,
  );
}

interface TestRunLists {
  trace: unknown[];
  traceTruncated: boolean;
  effects: unknown[];
  wouldApply: ScriptChange[];
  effectsTruncated: boolean;
}

const utf8 = new TextEncoder();
const jsonBytes = (value: unknown) => utf8.encode(JSON.stringify(value)).length;

/**
 * Cuts a test-run answer to at most `maxBytes` of JSON. The engine's trace budget is not enough on its own:
 * dozens of saved 4,096-character texts, escaped, are megabytes. The trace's last steps go first, then the effects
 * and what would be applied; the answer says which were cut.
 */
export function capTestRunAnswer<T extends TestRunLists>(answer: T, maxBytes: number): T {
  let total = jsonBytes(answer);
  if (total <= maxBytes) return answer;
  const cut = { ...answer };
  const cutList = (list: readonly unknown[]) => {
    let keep = list.length;
    // Each element and the comma before it; the first has none, which only makes the estimate cut one byte early.
    const sizes = list.map((item) => jsonBytes(item) + 1);
    while (keep > 0 && total > maxBytes) total -= sizes[--keep]!;
    return list.slice(0, keep);
  };
  cut.trace = cutList(answer.trace);
  cut.traceTruncated = answer.traceTruncated || cut.trace.length < answer.trace.length;
  if (total > maxBytes) {
    cut.wouldApply = cutList(answer.wouldApply) as ScriptChange[];
    cut.effects = cutList(answer.effects);
    cut.effectsTruncated = cut.effects.length < answer.effects.length || cut.wouldApply.length < answer.wouldApply.length;
  }
  return cut;
}
