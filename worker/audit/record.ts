/**
 * The admin audit trail's one writer. Every admin change site builds its row with `auditStatement` and puts it into
 * the D1 batch that makes the change, right after the statement whose effect it records: the insert runs only when
 * that statement changed a row (`changes() > 0`), and a batch that fails rolls the row back with the change. So the
 * trail never says something happened that did not.
 */
import type { Context } from 'hono';
import type { AppBindings } from '../env';
import { clientAgent, clientIp } from '../lib/http';
import { auditInsertStatement, type AuditRowValues } from './repo';

/** Who made a change: the admin signed in, or an API key together with the admin who owns it. */
export interface AuditActor {
  /** The admin, or the key's owner. */
  userId: string | null;
  apiKeyId: string | null;
  ip: string | null;
  client: string | null;
  nowMs: number;
}

export const AUDIT_OBJECT_TYPES = [
  'user',
  'token',
  'resource',
  'assignment',
  'self_service',
  'office',
  'group',
  'security_settings',
  'messaging_settings',
  'saml_config',
  'sign_in_script',
  'api_key',
  'user_issue',
] as const;
export type AuditObjectType = (typeof AUDIT_OBJECT_TYPES)[number];

/** What an admin or an API key can do to an object, as the trail records it (the admin center names each). */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'import',
  'set_password',
  'remove_password',
  'unlock',
  'set_pin',
  'remove_pin',
  'reset_fail_counter',
  'void_recovery_codes',
  'check_otp',
  'resync',
  'send_code',
  'save',
  'apply',
  'restore',
  'revoke',
  'add_member',
  'remove_member',
  'approve',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditChange {
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string | null;
  /** How people name the object (login, serial, resource name), kept as it was at the change. */
  objectName?: string | null;
  before?: unknown;
  after?: unknown;
}

/** What a change site gets from its route: the row builder bound to the request's actor. */
export type Audit = (change: AuditChange) => D1PreparedStatement;

export function auditActorOf(c: Context<AppBindings>): AuditActor {
  const auth = c.var.auth;
  const base = { ip: clientIp(c), client: clientAgent(c), nowMs: c.var.now };
  if (auth?.kind === 'apiKey') return { ...base, userId: auth.ownerUserId, apiKeyId: auth.apiKeyId };
  return { ...base, userId: auth?.kind === 'session' ? auth.userId : null, apiKeyId: null };
}

/** The audit row builder for this request, for services that batch their change. */
export function auditOf(c: Context<AppBindings>): Audit {
  const actor = auditActorOf(c);
  return (change) => auditStatement(c.env.DB, actor, change);
}

/**
 * The insert of one audit row, effective only when the batch's previous statement changed a row. The actor's login
 * and the key's name are read in the same statement, as they are at this moment.
 */
export function auditStatement(db: D1Database, actor: AuditActor, change: AuditChange): D1PreparedStatement {
  return auditInsertStatement(db, actor, auditRowOf(change), { onlyAfterAChange: true });
}

/**
 * The audit row of a token action whose change happens in the verification (Check OTP's consume or counted failure,
 * resync's claimed attempt and its re-anchoring), in the batch (D1 mode) or the object's outbox transaction
 * (verify-state/object.ts) of that change. Its id is chosen by the action, so a later step of the same action (a
 * resync's re-anchoring after its claimed attempt) rewrites the outcome of the one row, and a flush sent twice
 * writes it once. `onlyIfPreviousChanged`: in a batch, right after the statement whose change it records; false for
 * the object's flush, where the change is already durable.
 */
export function auditOutcomeStatement(db: D1Database, id: string, actor: AuditActor, change: AuditChange, onlyIfPreviousChanged: boolean): D1PreparedStatement {
  return auditInsertStatement(db, actor, auditRowOf(change), { onlyAfterAChange: onlyIfPreviousChanged, id, outcomeUpdates: true });
}

/**
 * Field names whose values are secrets wherever they appear: seeds, PINs, passwords and their hashes, API keys,
 * provider credentials. Their values are never written to the trail, only whether one was set.
 */
const SECRET_FIELD = /secret|seed|password|passwd|^pin$|pinhash|hash$|^key$|apikey$|authtoken|token$|privatekey|credential|^auth$|bearer/i;
/** Fields that merely say whether a secret exists or how it is used, never the secret. */
const NOT_A_SECRET = /^has|position$|prefix$|^kind$|^type$|set$/i;
export const MASKED = '••••••';

export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  const masked: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    if (SECRET_FIELD.test(name) && !NOT_A_SECRET.test(name) && typeof field === 'string') masked[name] = field === '' ? '' : MASKED;
    else masked[name] = maskSecrets(field);
  }
  return masked;
}

function auditJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(maskSecrets(value));
}

/** The change as the trail stores it: before and after as JSON with their secrets masked. */
function auditRowOf(change: AuditChange): AuditRowValues {
  return { ...change, objectName: change.objectName ?? null, before: auditJson(change.before), after: auditJson(change.after) };
}
