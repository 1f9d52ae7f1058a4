/**
 * What a message may cost: resend cooldown, caps per phone number / recipient, per user and per IP. SMS cost
 * money per message (toll fraud pumps premium numbers through sign-up and recovery forms), so every limit is
 * consumed atomically before a provider is called, and a send that any limit refuses calls nothing.
 *
 * The numbers are the administrator's (Admin Center > Security > Email > Limits), read with the other messaging
 * settings in the one settings query every send already makes; the defaults are the constants. A changed window
 * applies from the next window of each counter; a lowered cap applies at once (the counters are compared with it).
 */
import { AppError } from '../errors';
import { consumeRateLimit, refundRateLimit } from '../lib/rate-limit';
import { DEFAULT_MESSAGE_LIMITS } from './defaults';
import type { MessageCapName, MessageLimits } from './schema';

export interface LimitCheck {
  /** Which limit, as reported to the caller: cooldown, ip, user, phone, recipient. */
  name: string;
  key: string;
  limit: number;
  windowMs: number;
}

export interface MessageLimitSubject {
  channel: 'sms' | 'email';
  /** E.164 number or lower-cased email address. */
  recipient: string;
  userId?: string | null;
  ip?: string | null;
  /** Codes: no second message for the same purpose to the same recipient within the resend cooldown. */
  cooldown?: boolean;
  /**
   * The flow the message belongs to. The cooldown is per flow: confirming a number and signing in with it a
   * moment later are two messages a real user needs; the per-number caps still bound the total.
   */
  purpose?: string;
}

const MINUTE_MS = 60_000;

export function messageLimitChecks(subject: MessageLimitSubject, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): LimitCheck[] {
  const checks: LimitCheck[] = [];
  const cap = (name: string, key: string, configured: MessageLimits[MessageCapName]): LimitCheck => ({
    name,
    key,
    limit: configured.max,
    windowMs: configured.windowMinutes * MINUTE_MS,
  });
  // The caller's own budget first: a client already over its IP cap cannot touch the recipient's counters, so it
  // cannot keep a victim's number in cooldown or burn its daily cap from one address.
  if (subject.ip) {
    checks.push(
      subject.channel === 'sms'
        ? cap('ip', `sms-ip:${ipRateKey(subject.ip)}`, limits.smsPerIp)
        : cap('ip', `email-ip:${ipRateKey(subject.ip)}`, limits.emailPerIp),
    );
  }
  if (subject.userId && subject.channel === 'sms') {
    checks.push(cap('user', `sms-user:${subject.userId}`, limits.smsPerUser));
  }
  if (subject.cooldown) {
    checks.push({ name: 'cooldown', key: `code-cooldown:${subject.channel}:${subject.purpose ?? ''}:${subject.recipient}`, limit: 1, windowMs: limits.resendCooldownSeconds * 1000 });
  }
  checks.push(
    subject.channel === 'sms'
      ? cap('phone', `sms-phone:${subject.recipient}`, limits.smsPerPhone)
      : cap('recipient', `email-to:${subject.recipient}`, limits.emailPerRecipient),
  );
  return checks;
}

/**
 * Consumes every limit in order; on the first refusal gives back what this request already took (so a refused
 * request does not spend the other budgets) and throws RATE_LIMITED with the limit's name and the wait.
 * Returns the keys consumed, for a later `releaseCooldown`.
 */
export async function enforceLimits(db: D1Database, checks: LimitCheck[], nowMs: number): Promise<LimitCheck[]> {
  const taken: LimitCheck[] = [];
  for (const check of checks) {
    const result = await consumeRateLimit(db, check.key, check.limit, check.windowMs, nowMs);
    if (!result.allowed) {
      await Promise.all(taken.map((t) => refundRateLimit(db, t.key, nowMs)));
      const message =
        check.name === 'cooldown'
          ? `Please wait ${Math.ceil(result.retryAfterMs / 1000)} seconds before requesting a new code.`
          : 'Too many messages. Try again later.';
      throw new AppError('RATE_LIMITED', message, { limit: check.name, retryAfterMs: result.retryAfterMs });
    }
    taken.push(check);
  }
  return taken;
}

/** After a send failed, the user may ask again at once: the cooldown is for successful sends. */
export async function releaseCooldown(db: D1Database, taken: LimitCheck[], nowMs: number): Promise<void> {
  const cooldown = taken.find((t) => t.name === 'cooldown');
  if (cooldown) await refundRateLimit(db, cooldown.key, nowMs);
}

/**
 * The rate-limit identity of an IP: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a whole /64, so
 * per-address limits would be trivially bypassed).
 */
export function ipRateKey(ip: string): string {
  const trimmed = ip.trim().toLowerCase();
  if (!trimmed.includes(':')) return trimmed;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = trimmed.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = trimmed.includes('::') && tail ? tail.split(':') : [];
  const groups = trimmed.includes('::')
    ? [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
