/**
 * What went wrong with a provider, in terms a person can act on: the admin reads "Twilio refused the credentials
 * (HTTP 401)" in the page's language (ui/src/admin/security/provider-failure.tsx renders it, for a test message and
 * for each failed row of the message log), while the provider's own words stay in the attempt's `error` (and the
 * message log) as the detail.
 */
import { ProviderError } from './types';

export type ProviderFailureKind =
  /** 401: the credentials (key, token, password) are wrong or revoked. */
  | 'credentials'
  /** 403: the account may not send this (sender, destination country, permissions). */
  | 'forbidden'
  /** 404: the URL or the account id does not exist at the provider. */
  | 'not_found'
  /** 400, 422: the provider refused the request itself (a recipient, a sender, a field it does not accept). */
  | 'bad_request'
  /** 429: the provider's own rate limit. */
  | 'rate_limited'
  /** 5xx: the provider is failing. */
  | 'provider_down'
  /** Any other HTTP status. */
  | 'http'
  /** An answer of success status that refused the message (a provider error code, an expected text missing). */
  | 'rejected'
  | 'timeout'
  | 'network'
  /** Refused before sending: a binding missing, a URL this server may not call. */
  | 'config'
  /** Not the provider's doing: a fault of this server. */
  | 'internal';

export interface ProviderFailureSummary {
  kind: ProviderFailureKind;
  /** The provider's HTTP status, where it answered with one. */
  status?: number;
}

function kindOfStatus(status: number): ProviderFailureKind {
  if (status === 401) return 'credentials';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 400 || status === 422) return 'bad_request';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'provider_down';
  return 'http';
}

export function summarizeProviderFailure(error: unknown): ProviderFailureSummary {
  if (!(error instanceof ProviderError)) return { kind: 'internal' };
  if (error.kind === 'http' && error.status !== undefined) return { kind: kindOfStatus(error.status), status: error.status };
  return { kind: error.kind === 'http' ? 'http' : error.kind };
}

/**
 * The same summary read back from a message_log row's `error` (the log stores the text only, and rows written
 * before the summary existed must read the same). The text is the service's describeFailure(): "<provider>: <our
 * message>[: <what the provider said>]" or "internal error: ...". Our message leads and its wording per kind is
 * fixed (http.ts, cloudflare-email.ts), so the kind is read from its start; the provider's own words after it are
 * never looked at. Any other message of a provider is a refusal of an answer it gave ('rejected').
 * test/unit/worker/messaging/providers.test.ts holds each kind's summary from the log equal to the attempt's.
 */
const LOGGED_MESSAGE_KINDS: ReadonlyArray<readonly [RegExp, ProviderFailureKind]> = [
  [/^refused before sending\b/, 'config'],
  [/^the EMAIL send binding is not configured\b/, 'config'],
  [/^no (complete )?answer within \d+ ms\b/, 'timeout'],
  [/^(could not connect|the answer could not be read)\b/, 'network'],
];

export function summarizeLoggedFailure(error: string): ProviderFailureSummary {
  if (error.startsWith('internal error:')) return { kind: 'internal' };
  const ours = error.slice(error.indexOf(': ') + 2);
  const status = /^HTTP (\d{3})\b/.exec(ours)?.[1];
  if (status) return { kind: kindOfStatus(Number(status)), status: Number(status) };
  return { kind: LOGGED_MESSAGE_KINDS.find(([pattern]) => pattern.test(ours))?.[1] ?? 'rejected' };
}
