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

/** A provider could not take the message: HTTP error, provider-level error, timeout or network failure. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: 'http' | 'rejected' | 'timeout' | 'network' | 'config';
  constructor(provider: string, kind: ProviderError['kind'], message: string) {
    super(message);
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
  }
}
