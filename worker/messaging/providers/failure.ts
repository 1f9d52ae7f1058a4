/**
 * What went wrong with a provider, in terms a person can act on: the admin reads "The SMS provider refused the
 * credentials (HTTP 401)" in the page's language (ui/src/admin/security/provider-failure.ts renders it), while the
 * provider's own words stay in the attempt's `error` (and the message log) as the detail.
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
