/**
 * Tokens: the inventory of OTP generators. Software tokens get a generated seed shown once as a QR code and stay
 * pending until their first correct code; hardware tokens are registered with the seed from the vendor.
 */
import type { Audit, AuditAction, AuditActor } from '../audit/record';
import { CODE_DIGITS, SOFTWARE_TOKEN_SECRET_BYTES, TOKEN_COUNTER_MAX, TOKEN_PIN_MAX_LENGTH, TOKEN_PIN_MIN_LENGTH } from '../constants';
import type { HashAlgorithm, TokenType } from '../db/schema';
import type { Env } from '../env';
import type { MessagingEnv } from '../messaging/service';
import { AppError } from '../errors';
import { fieldRefusal } from '../lib/validate';
import { randomBytes } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { bytesToBase32, type Bytes } from '../lib/encoding';
import type { Page } from '../lib/paging';
import { buildKeyUri } from '../otp/key-uri';
import { parseOcraSuite } from '../otp/ocra';
import { renderQrSvg } from '../otp/qr';
import {
  checkOtpRefused,
  HOT_STATE_TOKEN_TYPES,
  recordUnchangedOutcome,
  resyncRefused,
  resyncToken,
  verifyTokenOtp,
  type OutcomeAudit,
  type ResyncResult,
  type TokenRecord,
  type VerifyKeys,
  type VerifyResult,
} from '../tokens/verification';
import { passkeyFactsOf, type PasskeyFacts } from '../passkeys/repo';
import { recoveryCodeCountsOf, sendRecoveryCodeUsedEmail, type RecoveryCodeCounts } from './recovery-codes';
import { checkAdminCheckCode, isMessageToken, maskDestination, normalizeDestination, sendAdminCheckCode, type AdminCheckCodeSent, type MessageTokenType } from './message-tokens';
import {
  deleteTokenRow,
  enrolmentInPlaceOfPrevious,
  insertTokenRows,
  listTokenRows,
  readTokenRecord,
  readTokenViewRow,
  resetTokenFailCounterRow,
  setTokenPinRow,
  tokenInsertStatement,
  updateTokenRow,
  loginOfUser,
  type TokenViewRow,
} from './repo';
import { hashPin, sealSeed } from './secrets';
import { hotStateAccessOf, verifyStateSettled } from '../verify-state/client';

export interface TokenView {
  id: string;
  serial: string;
  type: TokenType;
  kind: 'software' | 'hardware';
  description: string;
  algorithm: HashAlgorithm;
  digits: number;
  periodSeconds: number;
  counter: number;
  ocraSuite: string | null;
  hasPin: boolean;
  pinPosition: 'before' | 'after';
  failCount: number;
  lockedUntil: number | null;
  enabled: boolean;
  activated: boolean;
  driftSteps: number;
  /** SMS and EMAIL tokens: where codes go, masked ("+49•••••••67"); null for OTP generators. */
  destination: string | null;
  owner: { id: string; login: string } | null;
  lastUsedAt: number | null;
  createdAt: number;
  /** RECOVERY_CODES sets: how many of their codes remain, of how many, and when an administrator voided them; else null. */
  recoveryCodes: RecoveryCodeCounts | null;
  /** PASSKEY tokens: the credential's AAGUID, transports, backup flags, signature counter and suspicion; else null. */
  passkey: PasskeyFacts | null;
}

function toTokenView(row: TokenViewRow, nowMs: number, recoveryCounts: Map<string, RecoveryCodeCounts>, passkeyFacts: Map<string, PasskeyFacts>): TokenView {
  return {
    id: row.id,
    serial: row.serial,
    type: row.type,
    kind: row.kind,
    description: row.description,
    algorithm: row.algorithm,
    digits: row.digits,
    periodSeconds: row.periodSeconds,
    counter: row.counter,
    ocraSuite: row.ocraSuite,
    hasPin: row.pinHash !== null,
    pinPosition: row.pinPosition,
    failCount: row.lockedUntil !== null && row.lockedUntil <= nowMs ? 0 : row.failCount,
    lockedUntil: row.lockedUntil !== null && row.lockedUntil > nowMs ? row.lockedUntil : null,
    enabled: row.enabled,
    activated: row.activated,
    driftSteps: row.driftSteps,
    destination: maskDestination(row.destination),
    owner: row.ownerUserId && row.ownerLogin ? { id: row.ownerUserId, login: row.ownerLogin } : null,
    lastUsedAt: row.lastUsedAt,
    createdAt: row.createdAt,
    recoveryCodes: row.type === 'RECOVERY_CODES' ? (recoveryCounts.get(row.id) ?? { remaining: 0, total: 0, voidedAt: null }) : null,
    passkey: passkeyFacts.get(row.id) ?? null,
  };
}

/** The counts of the recovery code sets among `rows`: a read only when there is one. */
function recoveryCountsFor(db: D1Database, rows: TokenViewRow[]): Promise<Map<string, RecoveryCodeCounts>> {
  return recoveryCodeCountsOf(db, rows.filter((row) => row.type === 'RECOVERY_CODES').map((row) => row.id));
}

function passkeyFactsFor(db: D1Database, rows: TokenViewRow[]): Promise<Map<string, PasskeyFacts>> {
  return passkeyFactsOf(db, rows.filter((row) => row.type === 'PASSKEY').map((row) => row.id));
}

export async function listTokens(
  db: D1Database,
  query: { search?: string; ownerUserId?: string; unassigned?: boolean; page: number; pageSize: number },
  nowMs: number,
): Promise<Page<TokenView>> {
  const { rows: items, total } = await listTokenRows(db, query);
  const [recoveryCounts, passkeyFacts] = await Promise.all([recoveryCountsFor(db, items), passkeyFactsFor(db, items)]);
  return {
    items: items.map((row) => toTokenView(row, nowMs, recoveryCounts, passkeyFacts)),
    total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

export async function getToken(db: D1Database, id: string, nowMs: number): Promise<TokenView> {
  const row = await readTokenViewRow(db, id);
  if (!row) throw new AppError('TOKEN_NOT_FOUND');
  const [recoveryCounts, passkeyFacts] = await Promise.all([recoveryCountsFor(db, [row]), passkeyFactsFor(db, [row])]);
  return toTokenView(row, nowMs, recoveryCounts, passkeyFacts);
}

export async function loadTokenRecord(db: D1Database, id: string): Promise<TokenRecord> {
  const row = await readTokenRecord(db, id);
  if (!row) throw new AppError('TOKEN_NOT_FOUND');
  return row;
}

export interface NewTokenParams {
  serial?: string;
  type: 'TOTP' | 'HOTP' | 'OCRA';
  description?: string;
  algorithm: HashAlgorithm;
  digits: number;
  periodSeconds: number;
  counter: number;
  ocraSuite?: string | null;
  ownerUserId?: string | null;
  pin?: string | null;
  pinPosition?: 'before' | 'after';
}

/**
 * Statements that insert one token; callers batch them (imports insert many in one batch: all or nothing).
 * The seed is sealed under the new token's id.
 */
export async function tokenInsertStatements(
  env: Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'>,
  params: NewTokenParams & { kind: 'software' | 'hardware'; seed: Bytes; activated: boolean },
  nowMs: number,
): Promise<{ id: string; serial: string; statement: D1PreparedStatement }> {
  validateTokenParams(params);
  const id = crypto.randomUUID();
  const serial = params.serial?.trim() || generateSerial(params.type);
  const statement = tokenInsertStatement(env.DB, {
    id,
    serial,
    type: params.type,
    kind: params.kind,
    description: params.description ?? '',
    algorithm: params.algorithm,
    digits: params.type === 'OCRA' ? parseOcraSuite(params.ocraSuite!).digits : params.digits,
    periodSeconds: params.periodSeconds,
    counter: params.counter,
    ocraSuite: params.type === 'OCRA' ? params.ocraSuite!.trim() : null,
    secretEncrypted: await sealSeed(env.SEED_ENCRYPTION_KEY, id, params.seed),
    pinHash: params.pin ? await hashPin(env.SESSION_KEY, id, params.pin) : null,
    pinPosition: params.pinPosition ?? 'after',
    enabled: true,
    activated: params.activated,
    ownerUserId: params.ownerUserId ?? null,
    createdAt: nowMs,
  });
  return { id, serial, statement };
}

export function validateTokenParams(params: Pick<NewTokenParams, 'type' | 'digits' | 'periodSeconds' | 'counter' | 'ocraSuite' | 'pin'>): void {
  if (params.type === 'OCRA') {
    if (!params.ocraSuite) throw new AppError('UNSUPPORTED_OCRA_SUITE', 'OCRA tokens need a suite, e.g. OCRA-1:HOTP-SHA1-6:QN08.');
    parseOcraSuite(params.ocraSuite); // throws UNSUPPORTED_OCRA_SUITE with the reason
  } else {
    if (params.digits !== 6 && params.digits !== 8) throw fieldRefusal('digits', 'invalid_value', 'must be 6 or 8.', { values: ['6', '8'] });
    if (params.type === 'TOTP' && params.periodSeconds !== 30 && params.periodSeconds !== 60) {
      throw fieldRefusal('periodSeconds', 'invalid_value', 'must be 30 or 60.', { values: ['30', '60'] });
    }
  }
  if (!isValidTokenCounter(params.counter)) {
    const code = !Number.isSafeInteger(params.counter) ? 'invalid_type' : params.counter < 0 ? 'too_small' : 'too_big';
    throw fieldRefusal('counter', code, TOKEN_COUNTER_RULE, { expected: 'int', origin: 'number', minimum: 0, maximum: TOKEN_COUNTER_MAX });
  }
  if (params.pin != null) validatePin(params.pin);
}

/** What every way in (admin API, CSV, PSKC) says about a counter out of range. */
export const TOKEN_COUNTER_RULE = `must be a whole number from 0 to ${TOKEN_COUNTER_MAX}`;

/** Counters beyond TOKEN_COUNTER_MAX cannot be computed exactly by the HOTP/OCRA code (see constants.ts). */
export function isValidTokenCounter(counter: number): boolean {
  return Number.isSafeInteger(counter) && counter >= 0 && counter <= TOKEN_COUNTER_MAX;
}

export function validatePin(pin: string): void {
  if (!/^\d+$/.test(pin) || pin.length < TOKEN_PIN_MIN_LENGTH || pin.length > TOKEN_PIN_MAX_LENGTH) {
    throw fieldRefusal('pin', 'invalid_format', `The PIN must be ${TOKEN_PIN_MIN_LENGTH} to ${TOKEN_PIN_MAX_LENGTH} digits.`, { format: 'regex', pattern: 'tokenPin' });
  }
}

function generateSerial(type: string): string {
  const digits = Array.from(randomBytes(5), (b) => (b % 100).toString().padStart(2, '0')).join('');
  return `${type}${digits}`;
}

async function insertTokens(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  try {
    await insertTokenRows(db, statements);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('SERIAL_TAKEN');
    throw error;
  }
}

/** The owner's login (for the audit row), or USER_NOT_FOUND; nothing for a token without owner. */
async function existingOwnerLogin(db: D1Database, userId: string | null | undefined): Promise<string | undefined> {
  if (!userId) return undefined;
  const login = await loginOfUser(db, userId);
  if (login === undefined) throw new AppError('USER_NOT_FOUND');
  return login;
}

export interface EnrolmentView {
  token: TokenView;
  /** Shown once: the base32 seed, the otpauth:// URI and its QR code. */
  enrolment: { secretBase32: string; keyUri: string; qrSvg: string };
}

/** A software token with a generated seed, pending until its first correct code. */
export async function createSoftwareToken(
  env: Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'>,
  params: Omit<NewTokenParams, 'counter' | 'ocraSuite'> & { type: 'TOTP' | 'HOTP'; issuer: string; enrollingResourceId?: string },
  nowMs: number,
  /** An administrator's change is audited; the portal passes none (the user's own token, in user activities). */
  audit?: Audit,
): Promise<EnrolmentView> {
  const ownerLogin = await existingOwnerLogin(env.DB, params.ownerUserId);
  const seed = randomBytes(SOFTWARE_TOKEN_SECRET_BYTES);
  const insert = await tokenInsertStatements(env, { ...params, counter: 0, kind: 'software', seed, activated: false }, nowMs);
  const stored = pendingEnrolmentOf(env.DB, insert.id, params, insert.statement);
  await insertTokens(env.DB, [...stored, ...auditCreated(audit, insert, { ...params, ownerLogin, kind: 'software' })]);
  const token = await getToken(env.DB, insert.id, nowMs);
  return { token, enrolment: enrolmentFor(token, seed, params.issuer) };
}

export function enrolmentFor(token: TokenView, seed: Bytes, issuer: string): EnrolmentView['enrolment'] {
  const keyUri = buildKeyUri({
    type: token.type === 'HOTP' ? 'HOTP' : 'TOTP',
    secret: seed,
    issuer,
    account: token.owner?.login ?? token.serial,
    algorithm: token.algorithm,
    digits: token.digits,
    periodInSeconds: token.periodSeconds,
    counter: token.counter,
  });
  return { secretBase32: bytesToBase32(seed), keyUri, qrSvg: renderQrSvg(keyUri) };
}

/** A portal enrolment (`enrollingResourceId`) replaces the user's previous pending one there; else the INSERT alone. */
function pendingEnrolmentOf(db: D1Database, tokenId: string, params: { ownerUserId?: string | null; enrollingResourceId?: string }, insert: D1PreparedStatement): D1PreparedStatement[] {
  if (!params.enrollingResourceId || !params.ownerUserId) return [insert];
  return enrolmentInPlaceOfPrevious(db, { tokenId, ownerUserId: params.ownerUserId, resourceId: params.enrollingResourceId }, insert);
}

/** A hardware token registered with its vendor seed; usable at once. */
export async function createHardwareToken(
  env: Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'>,
  params: NewTokenParams & { seed: Bytes },
  nowMs: number,
  audit: Audit,
): Promise<TokenView> {
  const ownerLogin = await existingOwnerLogin(env.DB, params.ownerUserId);
  const insert = await tokenInsertStatements(env, { ...params, kind: 'hardware', activated: true }, nowMs);
  await insertTokens(env.DB, [insert.statement, ...auditCreated(audit, insert, { ...params, ownerLogin, kind: 'hardware' })]);
  return getToken(env.DB, insert.id, nowMs);
}

/**
 * An SMS or EMAIL token bound to its destination (no seed: its codes are sent when asked for). The portal creates
 * it pending, activated by the first code that reached the destination; an administrator's is usable at once.
 */
export async function createMessageToken(
  env: Pick<Env, 'DB' | 'SESSION_KEY'>,
  params: { type: MessageTokenType; destination: string; description?: string; ownerUserId: string; pin?: string | null; pinPosition?: 'before' | 'after'; activated: boolean; serial?: string },
  nowMs: number,
  /** An administrator's change is audited; the portal passes none. */
  audit?: Audit,
): Promise<TokenView> {
  const destination = normalizeDestination(params.type, params.destination);
  if (params.pin != null) validatePin(params.pin);
  const ownerLogin = await existingOwnerLogin(env.DB, params.ownerUserId);
  const id = crypto.randomUUID();
  const serial = params.serial?.trim() || generateSerial(params.type);
  const statement = tokenInsertStatement(env.DB, {
    id,
    serial,
    type: params.type,
    kind: 'software',
    description: params.description ?? '',
    digits: CODE_DIGITS,
    destination,
    pinHash: params.pin ? await hashPin(env.SESSION_KEY, id, params.pin) : null,
    pinPosition: params.pinPosition ?? 'after',
    enabled: true,
    activated: params.activated,
    ownerUserId: params.ownerUserId,
    createdAt: nowMs,
  });
  await insertTokens(env.DB, [statement, ...auditCreated(audit, { id, serial }, { ...params, ownerLogin, kind: 'software', destination: maskDestination(destination) })]);
  return getToken(env.DB, id, nowMs);
}

/** Many tokens in one batch: either all are stored or none (a duplicate serial rejects the whole file). */
export async function insertTokenBatch(
  env: Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'>,
  tokens: Array<NewTokenParams & { seed: Bytes }>,
  nowMs: number,
  audit: Audit,
): Promise<{ created: number; serials: string[] }> {
  const inserts = [];
  for (const token of tokens) inserts.push(await tokenInsertStatements(env, { ...token, kind: 'hardware', activated: true }, nowMs));
  const serials = inserts.map((insert) => insert.serial.toLowerCase());
  const duplicate = serials.find((serial, index) => serials.indexOf(serial) !== index);
  if (duplicate) throw new AppError('SERIAL_TAKEN', `The serial ${duplicate} appears twice in the file.`);
  await insertTokens(
    env.DB,
    inserts.flatMap((insert, index) => [insert.statement, ...auditCreated(audit, insert, { ...tokens[index]!, kind: 'hardware' }, 'import')]),
  );
  return { created: inserts.length, serials: inserts.map((insert) => insert.serial) };
}

export async function updateToken(
  db: D1Database,
  id: string,
  changes: { description?: string; enabled?: boolean; ownerUserId?: string | null },
  nowMs: number,
  audit: Audit,
): Promise<TokenView> {
  const before = await getToken(db, id, nowMs);
  if (changes.ownerUserId !== undefined || changes.enabled === true) await assertRecoverySetChange(db, id, changes);
  if (changes.ownerUserId !== undefined) await existingOwnerLogin(db, changes.ownerUserId);
  const set = {
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
    ...(changes.ownerUserId !== undefined ? { ownerUserId: changes.ownerUserId } : {}),
  };
  if (Object.keys(set).length > 0) {
    const owner = changes.ownerUserId === undefined ? before.owner : changes.ownerUserId === null ? null : { id: changes.ownerUserId };
    const after = { ...auditedToken(before), ...(changes.description !== undefined ? { description: changes.description } : {}), ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}), owner };
    const updated = await updateTokenRow(db, id, set, audit({ action: 'update', objectType: 'token', objectId: id, objectName: before.serial, before: auditedToken(before), after }));
    if (!updated) throw new AppError('TOKEN_NOT_FOUND');
  }
  return getToken(db, id, nowMs);
}

/**
 * A recovery code set belongs to the user who was shown its codes: it cannot change hands. And a set without a
 * usable code (spent, or voided) stays disabled: enabled, it would count as the user's strong factor and hide their
 * SMS and email codes while accepting nothing.
 */
async function assertRecoverySetChange(db: D1Database, id: string, changes: { enabled?: boolean; ownerUserId?: string | null }): Promise<void> {
  const row = await readTokenViewRow(db, id);
  // A passkey is a key on its owner's device, registered under their user handle: never someone else's.
  if (row?.type === 'PASSKEY' && changes.ownerUserId !== undefined && changes.ownerUserId !== row.ownerUserId) {
    throw new AppError('TOKEN_TYPE_MISMATCH', 'A passkey cannot be given to another user: they register their own.');
  }
  if (row?.type !== 'RECOVERY_CODES') return;
  if (changes.ownerUserId !== undefined && changes.ownerUserId !== row.ownerUserId) {
    throw new AppError('TOKEN_TYPE_MISMATCH', 'A recovery code set cannot be given to another user: they make their own.');
  }
  if (changes.enabled === true && ((await recoveryCodeCountsOf(db, [id])).get(id)?.remaining ?? 0) === 0) throw new AppError('RECOVERY_CODES_SPENT');
}

export async function deleteToken(db: D1Database, id: string, audit?: Audit): Promise<void> {
  const before = audit ? await readTokenViewRow(db, id) : undefined;
  const auditRow =
    audit && before
      ? audit({
          action: 'delete',
          objectType: 'token',
          objectId: id,
          objectName: before.serial,
          before: { serial: before.serial, type: before.type, kind: before.kind, description: before.description, enabled: before.enabled, owner_user_id: before.ownerUserId },
        })
      : null;
  if (!(await deleteTokenRow(db, id, auditRow))) throw new AppError('TOKEN_NOT_FOUND');
}

export async function setTokenPin(
  env: Pick<Env, 'DB' | 'SESSION_KEY'>,
  id: string,
  pin: string | null,
  pinPosition: 'before' | 'after' | undefined,
  /** An administrator's change is audited; the portal passes none. */
  audit?: Audit,
): Promise<void> {
  if (pin !== null) validatePin(pin);
  const current = await readTokenViewRow(env.DB, id);
  const type = current?.type;
  // A recovery code is checked alone: a PIN would never be asked for.
  if (type === 'RECOVERY_CODES') throw new AppError('TOKEN_TYPE_MISMATCH', 'Recovery code sets have no PIN.');
  // A passkey's own user verification (device PIN, biometrics) takes that place; a token PIN would never be asked.
  if (type === 'PASSKEY') throw new AppError('TOKEN_TYPE_MISMATCH', 'Passkeys have no token PIN.');
  const pinHash = pin === null ? null : await hashPin(env.SESSION_KEY, id, pin);
  const auditRow =
    audit && current
      ? audit({
          action: pin === null ? 'remove_pin' : 'set_pin',
          objectType: 'token',
          objectId: id,
          objectName: current.serial,
          before: { hasPin: current.pinHash !== null, pinPosition: current.pinPosition },
          after: { hasPin: pinHash !== null, pinPosition: pinPosition ?? current.pinPosition },
        })
      : null;
  if (!(await setTokenPinRow(env.DB, id, pinHash, pinPosition, auditRow))) throw new AppError('TOKEN_NOT_FOUND');
}

export async function resetTokenFailCounter(db: D1Database, id: string, audit: Audit): Promise<void> {
  const before = await readTokenViewRow(db, id);
  const auditRow = audit({
    action: 'reset_fail_counter',
    objectType: 'token',
    objectId: id,
    objectName: before?.serial ?? null,
    before: before ? { failCount: before.failCount, lockedUntil: before.lockedUntil } : null,
    after: { failCount: 0, lockedUntil: null },
  });
  if (!(await resetTokenFailCounterRow(db, id, auditRow))) throw new AppError('TOKEN_NOT_FOUND');
}

/** What the audit trail keeps of a token: what an administrator sees of it, no seed, no PIN. */
export function auditedToken(token: TokenView) {
  return {
    serial: token.serial,
    type: token.type,
    kind: token.kind,
    description: token.description,
    enabled: token.enabled,
    activated: token.activated,
    owner: token.owner,
    hasPin: token.hasPin,
    pinPosition: token.pinPosition,
    destination: token.destination,
  };
}

/** The audit row of a token just inserted (a batch's insert statement right before it). */
function auditCreated(
  audit: Audit | undefined,
  insert: { id: string; serial: string },
  params: { type: TokenType; kind: 'software' | 'hardware'; description?: string; ownerUserId?: string | null; ownerLogin?: string; pin?: string | null; pinPosition?: 'before' | 'after'; destination?: string | null },
  action: AuditAction = 'create',
): D1PreparedStatement[] {
  if (!audit) return [];
  const after = {
    serial: insert.serial,
    type: params.type,
    kind: params.kind,
    description: params.description ?? '',
    // As a token's view names its owner, so the trail reads the same before and after a change of owner.
    owner: params.ownerUserId ? { id: params.ownerUserId, login: params.ownerLogin ?? null } : null,
    hasPin: Boolean(params.pin),
    pinPosition: params.pinPosition ?? 'after',
    ...(params.destination !== undefined ? { destination: params.destination } : {}),
  };
  return [audit({ action, objectType: 'token', objectId: insert.id, objectName: insert.serial, after })];
}

/** What every token check needs from the Worker: its keys, and the mail that tells a user a recovery code was used. */
export function verifyKeysOf(env: Pick<Env, 'SEED_ENCRYPTION_KEY' | 'SESSION_KEY'> & MessagingEnv): VerifyKeys {
  return {
    seedKey: env.SEED_ENCRYPTION_KEY,
    pinKey: env.SESSION_KEY,
    onRecoveryCodeUsed: (use) => sendRecoveryCodeUsedEmail(env, use),
    hotState: hotStateAccessOf(env as Partial<Pick<Env, 'DB' | 'VERIFY_STATE' | 'VERIFY_STATE_OBJECT'>>),
  };
}

/**
 * Admin "Check OTP": a real verification (it consumes the code and counts failures) that may activate a pending
 * token. SMS/EMAIL tokens are checked against the code sent by "Send code" (message-tokens.ts).
 */
export async function checkTokenOtp(env: Env, id: string, otp: string, nowMs: number, actor: AuditActor, challenge?: string): Promise<VerifyResult> {
  const token = await loadTokenRecord(env.DB, id);
  // A check would use up one of the user's codes (or count against their set): only the user types them.
  if (token.type === 'RECOVERY_CODES') throw new AppError('TOKEN_TYPE_MISMATCH', 'Recovery codes are not checked here: the user types them at sign-in.');
  // A passkey has no seed and no code: its proof is a WebAuthn ceremony in the user's browser.
  if (token.type === 'PASSKEY') throw new AppError('TOKEN_TYPE_MISMATCH', 'Passkeys have no code to check.');
  // The audit row goes with the change the check makes (the consume, or the failure it counts: issue 13 §1).
  const audit: OutcomeAudit = { id: crypto.randomUUID(), actor, change: { action: 'check_otp', objectType: 'token', objectId: id } };
  const result = isMessageToken(token.type)
    ? await checkAdminCheckCode(env, token, otp, nowMs, audit)
    : await verifyTokenOtp(env.DB, verifyKeysOf(env), token, otp, nowMs, { allowActivation: true, challenge, audit });
  // A refusal that counted no failure (disabled, pending, already locked, the code accepted last sent again) changed
  // nothing to write the row with: it is a row of its own, after the answer.
  if (!result.ok && result.failCount === undefined) await recordUnchangedOutcome(env.DB, audit, checkOtpRefused(result.reason));
  await adminSeesOwnAction(env, token);
  return result;
}

/** "Send code" before the admin check of an SMS/EMAIL token; `audit` records it in the batch that stores the code. */
export async function sendTokenCheckCode(env: Env, id: string, meta: { ip: string; nowMs: number }, audit: Audit): Promise<AdminCheckCodeSent> {
  return sendAdminCheckCode(env, await loadTokenRecord(env.DB, id), meta, audit);
}

/** The admin's resync, recorded with the attempt it claims (and its outcome with the re-anchoring). */
export async function resyncTokenById(env: Env, id: string, firstOtp: string, secondOtp: string, nowMs: number, actor: AuditActor): Promise<ResyncResult> {
  const token = await loadTokenRecord(env.DB, id);
  const audit: OutcomeAudit = { id: crypto.randomUUID(), actor, change: { action: 'resync', objectType: 'token', objectId: id } };
  const result = await resyncToken(env.DB, verifyKeysOf(env), token, firstOtp, secondOtp, nowMs, audit);
  // Refused before an attempt was claimed (disabled, rate limited, already locked): nothing changed, a row of its own.
  if (!result.ok && !result.claimed) await recordUnchangedOutcome(env.DB, audit, resyncRefused(result.reason));
  await adminSeesOwnAction(env, token);
  return result;
}

/**
 * In object mode the token's columns and the audit row reach D1 with the object's flush, after its answer: the
 * admin's own check or resync waits for it, so the token page and the trail read next show what it did (an admin
 * action, not the verify path; a flush that fails is retried by the alarm, and the page shows it once through).
 */
async function adminSeesOwnAction(env: Env, token: TokenRecord): Promise<void> {
  if (HOT_STATE_TOKEN_TYPES.includes(token.type)) await verifyStateSettled(env, token);
}
