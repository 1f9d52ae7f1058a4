/** What every provider adapter takes and returns. Adapters throw `ProviderError`; the service decides what follows. */

export interface SmsMessage {
  /** E.164, already validated. */
  to: string;
  text: string;
}

export interface EmailMessageInput {
  to: string;
  from: { address: string; name: string };
  subject: string;
  text: string;
  nowMs: number;
}

export interface ProviderResult {
  providerMessageId: string | null;
}

/**
 * A provider could not take the message: HTTP error, provider-level error, timeout or network failure.
 * `message` is our own text; `remote` what the other side said (untrusted: shown only as a sanitized snippet).
 */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: 'http' | 'rejected' | 'timeout' | 'network' | 'config';
  readonly remote?: string;
  constructor(provider: string, kind: ProviderError['kind'], message: string, remote?: string) {
    super(message);
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.remote = remote;
  }
}
