/**
 * What a message may cost: resend cooldown, caps per phone number / recipient, per user and per IP. SMS cost
 * money per message (toll fraud pumps premium numbers through sign-up and recovery forms), so every limit is
 * consumed atomically before a provider is called, and a send that any limit refuses calls nothing.
 */
import {
  CODE_RESEND_COOLDOWN_MS,
  DAY_MS,
  EMAIL_PER_IP_PER_HOUR,
  EMAIL_PER_RECIPIENT_PER_HOUR,
  HOUR_MS,
  SMS_PER_IP_PER_HOUR,
  SMS_PER_PHONE_PER_DAY,
  SMS_PER_USER_PER_DAY,
} from '../constants';
import { AppError } from '../errors';
import { consumeRateLimit, refundRateLimit } from '../lib/rate-limit';

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
  /** Codes: no second message for the same purpose to the same recipient within CODE_RESEND_COOLDOWN_MS. */
  cooldown?: boolean;
  /**
   * The flow the message belongs to. The cooldown is per flow: confirming a number and signing in with it a
   * moment later are two messages a real user needs; the per-number caps still bound the total.
   */
  purpose?: string;
}

export function messageLimitChecks(subject: MessageLimitSubject): LimitCheck[] {
  const checks: LimitCheck[] = [];
  // The caller's own budget first: a client already over its IP cap cannot touch the recipient's counters, so it
  // cannot keep a victim's number in cooldown or burn its daily cap from one address.
  if (subject.ip) {
    checks.push(
      subject.channel === 'sms'
        ? { name: 'ip', key: `sms-ip:${ipRateKey(subject.ip)}`, limit: SMS_PER_IP_PER_HOUR, windowMs: HOUR_MS }
        : { name: 'ip', key: `email-ip:${ipRateKey(subject.ip)}`, limit: EMAIL_PER_IP_PER_HOUR, windowMs: HOUR_MS },
    );
  }
  if (subject.userId && subject.channel === 'sms') {
    checks.push({ name: 'user', key: `sms-user:${subject.userId}`, limit: SMS_PER_USER_PER_DAY, windowMs: DAY_MS });
  }
  if (subject.cooldown) {
    checks.push({ name: 'cooldown', key: `code-cooldown:${subject.channel}:${subject.purpose ?? ''}:${subject.recipient}`, limit: 1, windowMs: CODE_RESEND_COOLDOWN_MS });
  }
  checks.push(
    subject.channel === 'sms'
      ? { name: 'phone', key: `sms-phone:${subject.recipient}`, limit: SMS_PER_PHONE_PER_DAY, windowMs: DAY_MS }
      : { name: 'recipient', key: `email-to:${subject.recipient}`, limit: EMAIL_PER_RECIPIENT_PER_HOUR, windowMs: HOUR_MS },
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
