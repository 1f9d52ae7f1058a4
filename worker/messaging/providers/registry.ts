/**
 * Every provider the product can send through, per channel. Adding one is a module in this folder exporting its
 * descriptor (types.ts) and its line here; the settings schema, masking, sealing, URL checks and dispatch follow.
 */
import { cloudflareEmail } from './cloudflare-email';
import { generic } from './generic';
import { messagebird } from './messagebird';
import { outboxEmail, outboxSms } from './outbox';
import { postmark } from './postmark';
import { twilio } from './twilio';
import type { Channel, ProviderDescriptor, ProviderSchema, ProviderShape } from './types';
import { vonage } from './vonage';

export const SMS_SUPPLIERS = [outboxSms, twilio, vonage, messagebird, generic] as const;
export const EMAIL_PROVIDERS = [outboxEmail, postmark, cloudflareEmail] as const;

type AnyDescriptor<C extends Channel = Channel> = ProviderDescriptor<C, ProviderSchema, ProviderShape>;
type Registry = readonly AnyDescriptor[];

/** A provider in clear as its module's `send` takes it (secrets present), for each descriptor of a list. */
type OpenOf<R extends Registry> = { [K in keyof R]: R[K] extends { send(open: infer O, ...rest: never[]): unknown } ? O : never }[number];

export type SmsSupplier = OpenOf<typeof SMS_SUPPLIERS>;
export type EmailProvider = OpenOf<typeof EMAIL_PROVIDERS>;
export type SmsSupplierType = SmsSupplier['type'];
export type EmailProviderType = EmailProvider['type'];

/** The descriptors' schemas as a tuple, which `z.discriminatedUnion` needs. */
export function schemasOf<const R extends Registry>(registry: R): { [K in keyof R]: R[K]['schema'] } {
  return registry.map((descriptor) => descriptor.schema) as { [K in keyof R]: R[K]['schema'] };
}

export function typesOf<const R extends Registry>(registry: R): Array<R[number]['type']> {
  return registry.map((descriptor) => descriptor.type);
}

/** The URL each provider calls unless the admin enters another (the schema applies the same default). */
export function defaultBaseUrlsOf(registry: Registry): Record<string, string> {
  return Object.fromEntries(
    registry.flatMap((descriptor) => {
      const baseUrl: unknown = descriptor.urlField === 'baseUrl' ? Reflect.get(descriptor.defaults, 'baseUrl') : undefined;
      return typeof baseUrl === 'string' ? [[descriptor.type, baseUrl]] : [];
    }),
  );
}

const REGISTRY: { [C in Channel]: readonly AnyDescriptor<C>[] } = { sms: SMS_SUPPLIERS, email: EMAIL_PROVIDERS };

/** The module behind a provider of a channel's settings. */
export function descriptorFor<C extends Channel>(channel: C, provider: ProviderShape): AnyDescriptor<C> {
  return find(REGISTRY[channel], provider);
}

function find<C extends Channel>(registry: readonly AnyDescriptor<C>[], provider: ProviderShape): AnyDescriptor<C> {
  const descriptor = registry.find((candidate) => candidate.type === provider.type);
  // Only parsed settings reach here, and the schema is the union of these very descriptors.
  if (!descriptor) throw new Error(`no provider module for type ${provider.type}`);
  return descriptor;
}

/** The URL a provider's secrets are for and its requests go to; null for those without one (outbox, binding). */
export function providerUrlOf(channel: Channel, provider: ProviderShape): string | null {
  const field = descriptorFor(channel, provider).urlField;
  const value: unknown = field ? Reflect.get(provider, field) : undefined;
  return typeof value === 'string' ? value : null;
}

/** A gateway URL template with every {{phone}} / {{text}} filled with `value` (to check it as a URL). */
export function fillUrlPlaceholders(url: string, value: string): string {
  return url.replace(/\{\{\s*(phone|text)\s*\}\}/g, value);
}
