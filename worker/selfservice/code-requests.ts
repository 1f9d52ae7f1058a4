/**
 * Email codes asked for at portal sign-in and restore access, where the answer must not reveal whether the login
 * exists or whether a code actually went out (no user enumeration):
 *
 * - The limits are taken for EVERY request, keyed by the login and the client IP, with the administrator's
 *   numbers (resend cooldown, per-recipient and per-IP caps): a 429 comes as often for an unknown login as for a
 *   real one. The real send's own per-recipient limits still apply behind it; a refusal there is silent.
 * - Every caller gets a challengeId at once; the message is sent (or not) after the response, so neither the
 *   answer nor its timing depends on the account. Entering a code for a challenge that was never issued answers
 *   exactly like a wrong code.
 */
import { CODE_TTL_MS } from '../constants';
import type { Env } from '../env';
import { randomToken } from '../lib/crypto';
import { attemptKeyOf } from '../lib/identity';
import { issueCode, type IssueCodeInput } from '../messaging/codes';
import { enforceLimits, ipRateKey, type LimitCheck } from '../messaging/limits';
import { loadMessagingSettings } from '../messaging/settings';

const MINUTE_MS = 60_000;

/** Runs work after the response (the Worker's waitUntil). */
export type Defer = (work: Promise<unknown>) => void;

/**
 * Hands `work` to `defer` without starting it now: a promise begins running at once, and its database statements
 * then went ahead of the handler's own, so only a real account's answer waited behind its send (a timing signal).
 * The timer starts it once the handler is no longer running; call this after the handler's last statement.
 */
export function deferStart(defer: Defer, work: () => Promise<unknown>): void {
  defer(new Promise((resolve) => setTimeout(resolve, 0)).then(work));
}

export interface AnonymousCodeRequest {
  /** What the code is for: also the rate-limit namespace (portal-signin, portal-recovery). */
  purpose: string;
  resourceId: string;
  /** The login as typed: limits count per login whether or not it exists. */
  login: string;
  ip: string;
  nowMs: number;
}

export interface PreparedCode {
  challengeId: string;
  expiresAtMs: number;
}

/**
 * Takes the uniform limits (throws RATE_LIMITED, the same for every login) and returns the challengeId that the
 * flow keeps. Call `sendAnonymousCode` afterwards with the recipient, if there is one.
 */
export async function prepareAnonymousCode(env: Env, request: AnonymousCodeRequest): Promise<PreparedCode> {
  const { limits } = await loadMessagingSettings(env);
  const login = attemptKeyOf(request.login);
  const scope = `${request.purpose}:${request.resourceId}`;
  const checks: LimitCheck[] = [
    // The caller's own budget first, so one address cannot keep a login in cooldown for everyone else for long.
    { name: 'ip', key: `anon-code-ip:${request.purpose}:${ipRateKey(request.ip)}`, limit: limits.emailPerIp.max, windowMs: limits.emailPerIp.windowMinutes * MINUTE_MS },
    { name: 'cooldown', key: `anon-code-cooldown:${scope}:${login}`, limit: 1, windowMs: limits.resendCooldownSeconds * 1000 },
    { name: 'recipient', key: `anon-code-login:${scope}:${login}`, limit: limits.emailPerRecipient.max, windowMs: limits.emailPerRecipient.windowMinutes * MINUTE_MS },
  ];
  await enforceLimits(env.DB, checks, request.nowMs);
  return { challengeId: randomToken(32), expiresAtMs: request.nowMs + CODE_TTL_MS };
}

/**
 * Sends the code after the response (started once the handler is no longer running: call it after the handler's
 * last statement). Failures (provider down, a per-recipient cap) are logged, never answered:
 * the user sees the same "if your account signs in with a code" text and can ask again after the cooldown.
 */
export function sendAnonymousCode(
  env: Env,
  defer: Defer,
  prepared: PreparedCode,
  input: Omit<IssueCodeInput, 'channel' | 'ip' | 'challengeId'>,
): void {
  deferStart(defer, () =>
    issueCode(env, {
      ...input,
      channel: 'email',
      challengeId: prepared.challengeId,
      // The per-IP cap was taken above for every caller; counting it again here only for real recipients would
      // make the shared IP counter a signal.
      ip: null,
    }).catch((error: unknown) => {
      console.warn(`${input.purpose} code not sent: ${(error as { code?: string }).code ?? (error as Error)?.message ?? 'unknown error'}`);
    }),
  );
}
