/**
 * What a provider module declares (one `ProviderDescriptor`) and what its `send` takes and returns. Masking,
 * sealing, opening, validation and dispatch are written once over the descriptor (settings.ts, secrets.ts,
 * service.ts); a new provider is one module and one line in registry.ts. Adapters throw `ProviderError`; the
 * service decides what follows.
 */
import type { z } from 'zod';
import type { Env } from '../../env';
import type { ProviderTarget } from './http';

export type Channel = 'sms' | 'email';

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

export interface MessageOf {
  sms: SmsMessage;
  email: EmailMessageInput;
}

export interface ProviderResult {
  providerMessageId: string | null;
}

export interface SendContext {
  env: Pick<Env, 'EMAIL'>;
  db: D1Database;
  /** Where this provider's requests may go: the origin its secrets were unsealed for, public hosts only. */
  target: ProviderTarget;
  nowMs: number;
}

/**
 * One secret of a provider: `field` is the name it is sealed under (`authToken`, `headers.x-api-key`), `path`
 * where it sits in a save request (`authToken`, `headers.2.value`), `value` what is there (sealed, clear or masked).
 */
export interface SecretSlot {
  field: string;
  path: string;
  value: string | undefined;
}

/** How to find a provider's secrets and put others in their place (`replace` fills each slot by its field). */
export interface SecretAccess {
  list(provider: ProviderShape): SecretSlot[];
  replace<T extends ProviderShape>(provider: T, values: ReadonlyMap<string, string>): T;
}

export interface ProviderShape {
  type: string;
}

/** What every provider's zod schema looks like: an object with a literal `type` (the discriminator). */
export type ProviderSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

export interface ProviderDescriptor<C extends Channel, S extends ProviderSchema, Open extends ProviderShape> {
  type: z.infer<S>['type'];
  channel: C;
  /** What a save request may carry and what D1 holds (secrets sealed there, optional in a request). */
  schema: S;
  /** The values a field left out takes (the schema applies them; the admin center shows them as placeholders). */
  defaults: Partial<z.input<S>>;
  /** The field holding the URL the provider calls and its secrets are bound to; null for none (outbox, binding). */
  urlField: 'baseUrl' | 'url' | null;
  secrets: SecretAccess;
  /** Further forms in which a secret travels (Basic auth...), redacted from errors beside the secrets themselves. */
  secretForms?(open: Open): string[];
  /** Throws TEMPLATE_INVALID for a configuration the schema cannot judge (gateway templates); `path` is its place. */
  check?(open: Open, path: string): void;
  send(open: Open, message: MessageOf[C], context: SendContext): Promise<ProviderResult>;
}

/** A provider in clear, as `send` gets it: the schema's output with every secret field present. */
export type Opened<S extends ProviderSchema, K extends string> = Omit<z.infer<S>, K> & { [P in K]-?: string };

/** The common case: secrets are top-level string fields of the provider object. */
export function secretFields(...fields: string[]): SecretAccess {
  return {
    list: (provider) => fields.map((field) => ({ field, path: field, value: fieldValue(provider, field) })),
    replace: (provider, values) => ({ ...provider, ...Object.fromEntries(fields.map((field) => [field, values.get(field) ?? ''])) }),
  };
}

/** Providers without any secret (outbox, the Cloudflare binding). */
export const NO_SECRETS: SecretAccess = { list: () => [], replace: (provider) => provider };

function fieldValue(provider: ProviderShape, field: string): string | undefined {
  const value: unknown = Reflect.get(provider, field);
  return typeof value === 'string' ? value : undefined;
}

/** Declares a provider; the identity, so that each module's types stay precise in the registry. */
export function defineProvider<C extends Channel, S extends ProviderSchema, Open extends ProviderShape>(
  descriptor: ProviderDescriptor<C, S, Open>,
): ProviderDescriptor<C, S, Open> {
  return descriptor;
}

/**
 * A provider could not take the message: HTTP error, provider-level error, timeout or network failure.
 * `message` is our own text; `remote` what the other side said (untrusted: shown only as a sanitized snippet).
 */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: 'http' | 'rejected' | 'timeout' | 'network' | 'config';
  readonly remote?: string;
  /** kind 'http': the status the provider answered with. */
  readonly status?: number;
  constructor(provider: string, kind: ProviderError['kind'], message: string, remote?: string, status?: number) {
    super(message);
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.remote = remote;
    this.status = status;
  }
}
