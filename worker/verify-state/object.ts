/**
 * The hot verification state of one user's TOTP/HOTP/OCRA tokens, in a SQLite-backed Durable Object (one per user,
 * `idFromName`, see client.ts objectNameOf): counters, last used TOTP steps and drift, fail counts, locks, used OCRA
 * pairs and the resync attempt limit. D1 stays the system of record for everything else (seed, PIN, type, enabled,
 * owner, assignments, activities) and keeps a mirror of this state for the admin's screens (docs/scale.md §5).
 *
 * The check is the same code as on D1 (tokens/verification.ts verifyOtpIn), run here against this object's SQLite
 * (`store`): the Worker sends the token record it has just read from D1; the object lays its own hot state over it,
 * matches the code, and consumes it with ONE conditional statement in a `transactionSync`. Requests to one object
 * interleave only at awaits (the HMAC work), so the consume re-checks the state it changes, as the conditional D1
 * UPDATE does: of N concurrent uses of a code exactly one wins. An answer leaves only after its write is durable
 * (the output gate).
 *
 * Admin changes bump the object's epoch (`adminChange`); a verify carries the epoch the Worker knew before it read
 * D1, and one that does not match is answered `stale` before anything is checked or written (the Worker reads
 * afresh and asks again). So a token disabled, deleted, given away or re-PINned while a verify was in flight
 * cannot be accepted on the record read before the change.
 */
import { DurableObject } from 'cloudflare:workers';
import { activityStatementOnce, type ActivityInput } from '../activities/repo';
import { auditOutcomeStatement } from '../audit/record';
import {
  OCRA_USED_PAIR_RETENTION_MS,
  RESYNC_ATTEMPTS_PER_TOKEN,
  RESYNC_WINDOW_MS,
  TOKEN_LOCK_DURATION_MS,
  TOKEN_MAX_FAILS,
  VERIFY_OUTBOX_FLUSH_ROWS_MAX,
  VERIFY_OUTBOX_RETRY_MS,
} from '../constants';
import type { Env } from '../env';
import { AppError, type ErrorCode } from '../errors';
import { rateLimitResultFromRow } from '../lib/rate-limit';
import { mirrorStatement } from './repo';
import {
  resyncIn,
  verifyOtpIn,
  type AuditedStep,
  type LastAccepted,
  type OutcomeAudit,
  type ResyncResult,
  type TokenRecord,
  type TokenStateStore,
  type VerifyKeys,
  type VerifyOptions,
  type VerifyResult,
} from '../tokens/verification';

/** The hot columns this object owns, per token: what the D1 mirror is written from. */
/** A type, not an interface: it is also the row type of a query on this object's SQLite (rows<Row>). */
export type HotState = {
  counter: number;
  last_used_step: number;
  drift_steps: number;
  fail_count: number;
  locked_until: number | null;
  last_used_at: number | null;
};

/**
 * What a verify may ask of the object: VerifyOptions without the D1 statement, and the success activity as data
 * (`activityIfConsumed`), which the object appends to its outbox in the consume's own transaction.
 */
export type ObjectVerifyOptions = Pick<VerifyOptions, 'allowActivation' | 'challenge' | 'countFailure' | 'activityIfConsumed' | 'audit'>;

/**
 * Every answer: `stale` when the epoch the Worker knew is not the object's (nothing was checked or written), else
 * the result or the AppError the check raised (a bad OCRA challenge), carried as data because an RPC error loses
 * its class.
 */
export type ObjectAnswer<T> =
  | { stale: true; epoch: number }
  | { stale: false; epoch: number; result: T }
  | { stale: false; epoch: number; error: { code: ErrorCode; message: string; details?: unknown } };

/** An admin change as the object sees it: what it must do with the state it holds (docs/scale.md §5 rule 2). */
export type AdminChange =
  /** Disabled, enabled, re-PINned, re-seeded, reassigned away: only the epoch moves (in-flight verifies refuse). */
  | 'changed'
  /** Reset fail counter / unlock: applied here, where the count lives. */
  | 'reset'
  /** Deleted, or no longer this user's: the state goes (rule 8); D1 holds the floor of its counters (mirror). */
  | 'forget';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS token_state (
  token_id TEXT PRIMARY KEY,
  counter INTEGER NOT NULL,
  last_used_step INTEGER NOT NULL,
  drift_steps INTEGER NOT NULL,
  fail_count INTEGER NOT NULL,
  locked_until INTEGER,
  last_used_at INTEGER
);
CREATE TABLE IF NOT EXISTS ocra_used_pairs (
  token_id TEXT NOT NULL,
  pair_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (token_id, pair_hash)
);
CREATE TABLE IF NOT EXISTS resync_attempts (token_id TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS epoch (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
-- What D1 has not been told yet (rule 5): a token whose mirror is behind (the mirror is written from token_state as
-- it is at the flush, so one row per token however often it changed; version tells a flush whether it changed
-- again meanwhile), and activity rows with the id they will have in D1 (a flush sent twice writes each once).
CREATE TABLE IF NOT EXISTS mirror_outbox (token_id TEXT PRIMARY KEY, consumed INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS activity_outbox (id TEXT PRIMARY KEY, activity TEXT NOT NULL);
-- The admin's audit rows of Check OTP and resync (an AuditedStep as JSON), written in the transaction of the change
-- they record. A resync's re-anchoring rewrites its claimed attempt's row (same id): version tells the flush.
CREATE TABLE IF NOT EXISTS audit_outbox (id TEXT PRIMARY KEY, step TEXT NOT NULL, version INTEGER NOT NULL);
`;

/** Raised inside a step when an admin change arrived while the check awaited: the whole answer becomes `stale`. */
class EpochMoved extends Error {}

const UNLOCKED = '(locked_until IS NULL OR locked_until <= ?)';

export class VerifyStateObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    // Left by an instance evicted before its flush: the next answer flushes it (the alarm would, later).
    this.owesD1 = this.rows('SELECT 1 FROM mirror_outbox UNION ALL SELECT 1 FROM activity_outbox UNION ALL SELECT 1 FROM audit_outbox LIMIT 1').length > 0;
  }

  async verify(record: TokenRecord, input: string, nowMs: number, options: ObjectVerifyOptions, knownEpoch: number | null): Promise<ObjectAnswer<VerifyResult>> {
    return this.answer(record, knownEpoch, (store, token) => verifyOtpIn(store, this.keys(), token, input, nowMs, options), nowMs, options.activityIfConsumed);
  }

  async recordFailure(record: TokenRecord, nowMs: number, reason: Extract<VerifyResult, { ok: false }>['reason']): Promise<ObjectAnswer<VerifyResult>> {
    // A failure counted on a record read before an admin change is still a failure: no epoch check.
    return this.answer(record, this.epoch(), (store, token) => store.recordFailure(token, nowMs, reason), nowMs);
  }

  async resync(record: TokenRecord, firstOtp: string, secondOtp: string, nowMs: number, knownEpoch: number | null, audit?: OutcomeAudit): Promise<ObjectAnswer<ResyncResult>> {
    return this.answer(record, knownEpoch, (store, token) => resyncIn(store, this.keys(), token, firstOtp, secondOtp, nowMs, audit), nowMs);
  }

  /**
   * Applies an admin change (after its D1 write committed) and moves the epoch; answers the new epoch once D1's
   * mirror shows the change. State about to be forgotten is flushed first: D1's counter and step are the floor the
   * token's next object starts from (rule 7), so a forget with its last consume unflushed would reopen that code.
   * A flush that fails fails the admin's request (rule 3: it is retried; the alarm keeps trying meanwhile).
   */
  async adminChange(tokenId: string, change: AdminChange): Promise<{ epoch: number }> {
    if (change === 'forget' && !(await this.flush())) throw new Error('D1 did not take the mirror of a token about to be forgotten');
    const answer = this.write(() => {
      if (change === 'reset') {
        this.sql.exec('UPDATE token_state SET fail_count = 0, locked_until = NULL WHERE token_id = ?', tokenId);
        this.owe(tokenId, false);
      }
      if (change === 'forget') {
        for (const table of ['token_state', 'ocra_used_pairs', 'resync_attempts', 'mirror_outbox']) this.sql.exec(`DELETE FROM ${table} WHERE token_id = ?`, tokenId);
      }
      const epoch = this.sql.exec<{ value: number }>('INSERT INTO epoch (id, value) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET value = value + 1 RETURNING value').one().value;
      return { epoch };
    });
    if (!(await this.flush())) throw new Error('D1 did not take the mirror of an admin change');
    return answer;
  }

  /** Waits until D1 holds everything the outbox held (false: a flush failed; the alarm retries it). */
  async flushed(): Promise<boolean> {
    return this.flush();
  }

  /** The retry of a flush that failed, or never ran because the object was evicted after it answered. */
  override async alarm(): Promise<void> {
    await this.flush();
  }

  /** For tests and the admin's exact view: the state this object holds for a token (null: none yet). */
  async hotStateOf(tokenId: string): Promise<HotState | null> {
    return this.stateOf(tokenId);
  }

  private async answer<T>(
    record: TokenRecord,
    knownEpoch: number | null,
    check: (store: TokenStateStore, token: TokenRecord) => Promise<T>,
    nowMs: number,
    activityIfConsumed?: ActivityInput,
  ): Promise<ObjectAnswer<T>> {
    const epoch = this.epoch();
    // No epoch known (a cold isolate) is current only while no admin change ever reached this object: one that
    // did might have landed between the Worker's read and now.
    if (knownEpoch !== epoch && !(knownEpoch === null && epoch === 0)) return { stale: true, epoch };
    const token = this.withState(record, nowMs);
    try {
      const result = await check(this.store(epoch, activityIfConsumed), token);
      return { stale: false, epoch, result };
    } catch (error) {
      if (error instanceof EpochMoved) return { stale: true, epoch: this.epoch() };
      if (error instanceof AppError) return { stale: false, epoch, error: { code: error.code, message: error.message, details: error.details } };
      throw error;
    } finally {
      // After the answer is decided, not before it: D1 is off the answer's path (the answer waits only for this
      // object's own write). What the outbox holds is durable already, and the alarm set with it retries a flush
      // that fails or never runs.
      if (this.owesD1) this.ctx.waitUntil(this.flush());
    }
  }

  /**
   * One atomic step on this object's SQLite. A step that leaves D1 something owed (`owe`) also sets the alarm, in
   * the same turn, so the output gate makes both durable before the answer leaves.
   */
  private write<T>(step: () => T): T {
    const result = this.ctx.storage.transactionSync(step);
    if (this.owesD1) void this.ctx.storage.setAlarm(Date.now() + VERIFY_OUTBOX_RETRY_MS);
    return result;
  }

  /** Inside a step: D1's mirror of this token is behind (a consume also marks it activated there). */
  private owe(tokenId: string, consumed: boolean): void {
    this.sql.exec(
      `INSERT INTO mirror_outbox (token_id, consumed, version) VALUES (?, ?, 1)
       ON CONFLICT (token_id) DO UPDATE SET consumed = max(consumed, excluded.consumed), version = version + 1`,
      tokenId,
      consumed ? 1 : 0,
    );
    this.owesD1 = true;
  }

  /** Inside a step: the admin's audit row of the change this step makes, for D1 with the mirror. */
  private auditLater(step: AuditedStep | undefined): void {
    if (!step) return;
    this.sql.exec(
      'INSERT INTO audit_outbox (id, step, version) VALUES (?, ?, 1) ON CONFLICT (id) DO UPDATE SET step = excluded.step, version = version + 1',
      step.id,
      JSON.stringify(step),
    );
    this.owesD1 = true;
  }

  private owesD1 = false;
  private flushing: Promise<boolean> = Promise.resolve(true);

  /** One flush at a time (each reads the outbox afresh), so two never race to write one token's mirror. */
  private flush(): Promise<boolean> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  /**
   * Sends the outbox to D1 in one batch per VERIFY_OUTBOX_FLUSH_ROWS_MAX rows and deletes what D1 took. Each
   * statement may run twice (a flush whose answer was lost): the mirror is set from the state as it is now (its
   * counter and step only rise, so D1 stays a floor), an activity row is inserted under its id once.
   */
  private async flushOnce(): Promise<boolean> {
    for (;;) {
      const mirrors = this.rows<HotState & { token_id: string; consumed: number; version: number }>(
        `SELECT o.token_id, o.consumed, o.version, s.counter, s.last_used_step, s.drift_steps, s.fail_count, s.locked_until, s.last_used_at
         FROM mirror_outbox o JOIN token_state s ON s.token_id = o.token_id LIMIT ?`,
        VERIFY_OUTBOX_FLUSH_ROWS_MAX,
      );
      const activities = this.rows<{ id: string; activity: string }>('SELECT id, activity FROM activity_outbox LIMIT ?', VERIFY_OUTBOX_FLUSH_ROWS_MAX);
      const audits = this.rows<{ id: string; step: string; version: number }>('SELECT id, step, version FROM audit_outbox LIMIT ?', VERIFY_OUTBOX_FLUSH_ROWS_MAX);
      if (mirrors.length === 0 && activities.length === 0 && audits.length === 0) {
        this.owesD1 = false;
        return true;
      }
      try {
        await this.env.DB.batch([
          ...mirrors.map((row) => mirrorStatement(this.env.DB, row.token_id, row, row.consumed === 1)),
          ...activities.map((row) => activityStatementOnce(this.env.DB, row.id, JSON.parse(row.activity) as ActivityInput)),
          // Under the id the action chose: sent twice, the one row is written again with the same outcome.
          ...audits.map((row) => {
            const step = JSON.parse(row.step) as AuditedStep;
            return auditOutcomeStatement(this.env.DB, step.id, step.actor, { ...step.change, after: step.after }, false);
          }),
        ]);
      } catch (error) {
        console.warn('verify state: D1 did not take the outbox; the alarm retries', error);
        void this.ctx.storage.setAlarm(Date.now() + VERIFY_OUTBOX_RETRY_MS);
        return false;
      }
      this.ctx.storage.transactionSync(() => {
        for (const row of mirrors) this.sql.exec('DELETE FROM mirror_outbox WHERE token_id = ? AND version = ?', row.token_id, row.version);
        for (const row of activities) this.sql.exec('DELETE FROM activity_outbox WHERE id = ?', row.id);
        for (const row of audits) this.sql.exec('DELETE FROM audit_outbox WHERE id = ? AND version = ?', row.id, row.version);
      });
    }
  }

  private keys(): VerifyKeys {
    return { seedKey: this.env.SEED_ENCRYPTION_KEY, pinKey: this.env.SESSION_KEY };
  }

  private epoch(): number {
    return this.sql.exec<{ value: number }>('SELECT value FROM epoch WHERE id = 1').toArray()[0]?.value ?? 0;
  }

  private stateOf(tokenId: string): HotState | null {
    return (
      this.sql
        .exec<{ [K in keyof HotState]: HotState[K] }>('SELECT counter, last_used_step, drift_steps, fail_count, locked_until, last_used_at FROM token_state WHERE token_id = ?', tokenId)
        .toArray()[0] ?? null
    );
  }

  /**
   * The record with this object's hot state laid over it. A token seen for the first time starts from D1's columns
   * (rule 7): they are exact, since D1 held this state before (the d1 mode, or another object before a reassign,
   * whose every change was mirrored). After that D1's counter and step still act as a floor, never lowering ours:
   * a code consumed while the deployment ran in d1 mode stays used here.
   */
  private withState(record: TokenRecord, nowMs: number): TokenRecord {
    this.sql.exec(
      `INSERT INTO token_state (token_id, counter, last_used_step, drift_steps, fail_count, locked_until, last_used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (token_id) DO UPDATE SET
         counter = max(counter, excluded.counter),
         drift_steps = CASE WHEN excluded.last_used_step > last_used_step THEN excluded.drift_steps ELSE drift_steps END,
         last_used_step = max(last_used_step, excluded.last_used_step)`,
      record.id,
      record.counter,
      record.last_used_step,
      record.drift_steps,
      record.fail_count,
      record.locked_until !== null && record.locked_until > nowMs ? record.locked_until : null,
    );
    return { ...record, ...this.stateOf(record.id)! };
  }

  /** A query's rows, typed as the caller's SELECT names its columns (SqlStorage.exec's own row parameter). */
  private rows<Row extends Record<string, SqlStorageValue> = Record<string, SqlStorageValue>>(query: string, ...values: unknown[]): Row[] {
    return this.sql.exec<Row>(query, ...values).toArray();
  }

  /** This object's SQLite as the store of verifyOtpIn / resyncIn (the same steps as d1TokenState's, on token_state). */
  private store(epoch: number, activityIfConsumed?: ActivityInput): TokenStateStore {
    const assertEpoch = () => {
      if (this.epoch() !== epoch) throw new EpochMoved();
    };
    const lastAcceptedSql = (tokenId: string, lastAccepted: LastAccepted, nowMs: number): { sql: string; values: unknown[] } => {
      if ('counterAfter' in lastAccepted) return { sql: `counter = ? AND ${UNLOCKED}`, values: [lastAccepted.counterAfter, nowMs] };
      if ('step' in lastAccepted) return { sql: `last_used_step = ? AND ${UNLOCKED}`, values: [lastAccepted.step, nowMs] };
      return {
        sql: `EXISTS (SELECT 1 FROM ocra_used_pairs WHERE token_id = ? AND pair_hash = ? AND expires_at > ?) AND ${UNLOCKED}`,
        values: [tokenId, lastAccepted.ocraPairHash, nowMs, nowMs],
      };
    };
    return {
      db: this.env.DB,
      consume: async (token, match, nowMs, pairHash, audited) =>
        this.write(() => {
          assertEpoch();
          const reset = 'fail_count = 0, locked_until = NULL, last_used_at = ?';
          if (pairHash) this.sql.exec('DELETE FROM ocra_used_pairs WHERE token_id = ? AND expires_at <= ?', token.id, nowMs);
          let won: boolean;
          if (match.kind === 'challenge') {
            // Pure challenge-response: the pair's insert decides, only while the token is not locked.
            won =
              this.rows(`SELECT 1 FROM token_state WHERE token_id = ? AND ${UNLOCKED}`, token.id, nowMs).length === 1 &&
              this.rows('INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1', token.id, pairHash, nowMs + OCRA_USED_PAIR_RETENTION_MS).length === 1;
            if (won) this.sql.exec(`UPDATE token_state SET ${reset} WHERE token_id = ?`, nowMs, token.id);
          } else {
            won =
              (match.kind === 'counter'
                ? this.rows(`UPDATE token_state SET counter = ?, ${reset} WHERE token_id = ? AND counter <= ? AND ${UNLOCKED} RETURNING 1`, match.counter + 1, nowMs, token.id, match.counter, nowMs)
                : this.rows(
                    `UPDATE token_state SET last_used_step = ?, drift_steps = ?, ${reset} WHERE token_id = ? AND last_used_step < ? AND ${UNLOCKED} RETURNING 1`,
                    match.step,
                    match.driftSteps,
                    nowMs,
                    token.id,
                    match.step,
                    nowMs,
                  )
              ).length === 1;
            // OCRA with a counter or clock: the pair is recorded too, so its replay is recognised (OTP_REPLAYED).
            if (won && pairHash) {
              this.sql.exec(
                'INSERT INTO ocra_used_pairs (token_id, pair_hash, expires_at) VALUES (?, ?, ?) ON CONFLICT (token_id, pair_hash) DO UPDATE SET expires_at = excluded.expires_at',
                token.id,
                pairHash,
                nowMs + OCRA_USED_PAIR_RETENTION_MS,
              );
            }
          }
          if (won) {
            this.owe(token.id, true);
            this.auditLater(audited);
            if (activityIfConsumed) this.sql.exec('INSERT INTO activity_outbox (id, activity) VALUES (?, ?)', crypto.randomUUID(), JSON.stringify(activityIfConsumed));
          }
          return won;
        }),
      recordFailure: async (token, nowMs, reason, lastAccepted, audited) => {
        // As D1's recordFailure: a lock that has run out starts a fresh count; reaching the maximum locks; the code
        // accepted last, sent again, counts nothing (OTP_REPLAYED).
        const replay = lastAccepted ? lastAcceptedSql(token.id, lastAccepted, nowMs) : null;
        const failCount = 'CASE WHEN locked_until IS NOT NULL AND locked_until <= ? THEN 1 ELSE fail_count + 1 END';
        const row = this.write(() => {
          const counted = this.rows<{ fail_count: number; locked_until: number | null }>(
          `UPDATE token_state SET
             fail_count = ${failCount},
             locked_until = CASE WHEN ${failCount} >= ? THEN ? WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL ELSE locked_until END
           WHERE token_id = ?${replay ? ` AND NOT (${replay.sql})` : ''}
           RETURNING fail_count, locked_until`,
          nowMs,
          nowMs,
          TOKEN_MAX_FAILS,
          nowMs + TOKEN_LOCK_DURATION_MS,
          nowMs,
          token.id,
          ...(replay?.values ?? []),
          )[0];
          if (counted) {
            this.owe(token.id, false);
            this.auditLater(audited);
          }
          return counted;
        });
        if (!row && replay) return { ok: false, tokenId: token.id, reason: 'OTP_REPLAYED' };
        const lockedNow = row?.locked_until != null && row.locked_until > nowMs;
        return { ok: false, tokenId: token.id, reason: lockedNow ? 'TOKEN_LOCKED' : reason, lockedUntil: row?.locked_until ?? null, failCount: row?.fail_count };
      },
      isLastAccepted: async (token, lastAccepted, nowMs) => {
        const condition = lastAcceptedSql(token.id, lastAccepted, nowMs);
        return this.rows(`SELECT 1 FROM token_state WHERE token_id = ? AND ${condition.sql}`, token.id, ...condition.values).length === 1;
      },
      claimResyncAttempt: async (token, nowMs, audited) =>
        this.write(() => {
          // The attempt limit's hit, then (only while it allows) one failure claimed on the token before any code is
          // computed: the attempt that reaches TOKEN_MAX_FAILS locks the token at once.
          const hit = this.rows<{ count: number; expires_at: number }>(
            `INSERT INTO resync_attempts (token_id, count, expires_at) VALUES (?, 1, ?)
             ON CONFLICT (token_id) DO UPDATE SET
               count = CASE WHEN expires_at <= ? THEN 1 ELSE min(count + 1, ? + 1) END,
               expires_at = CASE WHEN expires_at <= ? THEN excluded.expires_at ELSE expires_at END
             RETURNING count, expires_at`,
            token.id,
            nowMs + RESYNC_WINDOW_MS,
            nowMs,
            RESYNC_ATTEMPTS_PER_TOKEN,
            nowMs,
            // An upsert with RETURNING yields its row whichever branch it took.
          )[0]!;
          const limit = rateLimitResultFromRow(hit, RESYNC_ATTEMPTS_PER_TOKEN, nowMs);
          if (!limit.allowed) return { ok: false, reason: 'RATE_LIMITED', retryAfterMs: limit.retryAfterMs };
          const fresh = 'CASE WHEN locked_until IS NOT NULL THEN 1 ELSE fail_count + 1 END';
          const claimed = this.rows<{ locked_until: number | null }>(
            `UPDATE token_state SET fail_count = ${fresh}, locked_until = CASE WHEN ${fresh} >= ? THEN ? ELSE NULL END
             WHERE token_id = ? AND ${UNLOCKED} RETURNING locked_until`,
            TOKEN_MAX_FAILS,
            nowMs + TOKEN_LOCK_DURATION_MS,
            token.id,
            nowMs,
          )[0];
          if (!claimed) return { ok: false, reason: 'TOKEN_LOCKED', lockedUntil: token.locked_until !== null && token.locked_until > nowMs ? token.locked_until : null };
          this.owe(token.id, false);
          this.auditLater(audited);
          return { ok: true, lockedUntil: claimed.locked_until };
        }),
      applyResync: async (token, anchor, lockedByClaim, nowMs, audited) =>
        this.write(() => {
          assertEpoch();
          const [set, values, unused] =
            anchor.kind === 'counter'
              ? ['counter = ?', [anchor.counterAfter], 'counter <= ?']
              : ['last_used_step = ?, drift_steps = ?', [anchor.lastUsedStep, anchor.driftSteps], 'last_used_step < ?'];
          const applied =
            this.rows(
              `UPDATE token_state SET ${set}, fail_count = 0, locked_until = NULL
               WHERE token_id = ? AND ${unused} AND (locked_until IS NULL OR locked_until <= ? OR locked_until = ?) RETURNING 1`,
              ...values,
              token.id,
              anchor.unusedFrom,
              nowMs,
              lockedByClaim ?? -1,
            ).length === 1;
          if (applied) {
            this.owe(token.id, false);
            this.auditLater(audited);
          }
          return applied;
        }),
    };
  }
}
