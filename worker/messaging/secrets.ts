/**
 * Provider secrets (auth tokens, API secrets, secret gateway headers), found through each provider's descriptor
 * (`secrets`), so this is the one walk over them for masking, sealing and opening.
 *
 * They are sealed with AES-GCM under the provider-secrets key (lib/keys.ts) before they reach D1, bound to the
 * settings key, the field, the provider type and the URL they were entered for, so a sealed value copied
 * elsewhere, or left under an edited URL, does not decrypt. They never go back to the client: views carry a mask
 * ("••••" + last 4 characters), and a save that sends the mask back (or leaves the field out) keeps the stored
 * secret while type and URL stay the same, the way admin consoles such as Keycloak's do; a new URL or type needs
 * the secret typed again.
 */
import type { Env } from '../env';
import { AppError } from '../errors';
import { utf8 } from '../lib/encoding';
import { isLegacySealed, openFor, sealFor } from '../lib/keys';
import { descriptorFor, providerUrlOf } from './providers/registry';
import type { Channel, ProviderShape } from './providers/types';

export type SecretEnv = Pick<Env, 'DB' | 'SEED_ENCRYPTION_KEY'>;

export const SECRET_MASK_PREFIX = '••••';

/** Where a provider's settings live: its channel, the settings row and the slot in it (primary, fallback, provider). */
export interface ProviderPlace {
  channel: Channel;
  key: string;
  slot: string;
}

/** A field the admin must fix; `code` lets the admin center say it in German or English. */
export interface SecretIssue {
  path: string;
  code: 'PROVIDER_SECRET_REQUIRED' | 'PROVIDER_SECRET_URL_CHANGED';
  message: string;
}

export function maskSecret(secret: string): string {
  // Short secrets show nothing of themselves; long ones show the last 4 so admins can tell which key is set.
  return secret.length >= 12 ? `${SECRET_MASK_PREFIX}${secret.slice(-4)}` : SECRET_MASK_PREFIX;
}

export function isMaskedSecret(value: string | undefined): boolean {
  return value === undefined || value === '' || value.startsWith(SECRET_MASK_PREFIX);
}

/** The provider as a view may show it: every secret masked. */
export function maskProvider<T extends ProviderShape>(channel: Channel, provider: T): T {
  const { secrets } = descriptorFor(channel, provider);
  return secrets.replace(provider, new Map(secrets.list(provider).map((slot) => [slot.field, maskSecret(slot.value ?? '')])));
}

/** Every form in which a provider's secrets travel (as typed, URL/form-encoded, JSON-escaped, and its own forms). */
export function secretTravelForms(channel: Channel, provider: ProviderShape): string[] {
  const descriptor = descriptorFor(channel, provider);
  const secrets = [...descriptor.secrets.list(provider).map((slot) => slot.value ?? ''), ...(descriptor.secretForms?.(provider) ?? [])];
  return secrets.flatMap((secret) => [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]);
}

/**
 * Each secret replaced by what `fn` returns for it (its sealing field name, its value, its path in a save
 * request). Returns the copy.
 */
async function mapSecrets<T extends ProviderShape>(
  channel: Channel,
  provider: T,
  fn: (field: string, value: string | undefined, path: string) => Promise<string> | string,
): Promise<T> {
  const { secrets } = descriptorFor(channel, provider);
  const values = new Map<string, string>();
  for (const slot of secrets.list(provider)) values.set(slot.field, await fn(slot.field, slot.value, slot.path));
  return secrets.replace(provider, values);
}

/**
 * The additional data a provider secret is sealed with: where it is stored, the provider type and the URL it was
 * entered for. A ciphertext opens only there: moved to another field or type, or left behind when someone edits
 * the URL in the database, it no longer decrypts, so the secret cannot be sent anywhere else.
 */
function secretContexts(place: ProviderPlace, provider: ProviderShape, field: string): { context: string; legacyContext: string } {
  const stored = `${place.key}:${place.slot}.${field}`;
  return { context: `${stored}:${provider.type}:${providerUrlOf(place.channel, provider) ?? ''}`, legacyContext: stored };
}

/** The stored provider with its secrets opened. */
export async function openProvider<T extends ProviderShape>(env: SecretEnv, place: ProviderPlace, stored: T): Promise<T> {
  return mapSecrets(place.channel, stored, async (field, sealed) => {
    if (!sealed) throw new AppError('INTERNAL', `The stored messaging setting ${place.slot}.${field} has no secret.`);
    const { context, legacyContext } = secretContexts(place, stored, field);
    return new TextDecoder().decode(await openFor(env, 'provider-secrets', sealed, context, legacyContext));
  });
}

/**
 * The stored provider with each secret sealed before key separation ("v1", under SEED_ENCRYPTION_KEY itself,
 * bound to no URL) sealed again under the provider-secrets key, bound to the URL stored beside it. `resealed`
 * counts them.
 */
export async function resealLegacySecrets<T extends ProviderShape>(env: SecretEnv, place: ProviderPlace, stored: T): Promise<{ provider: T; resealed: number }> {
  let resealed = 0;
  const provider = await mapSecrets(place.channel, stored, async (field, sealed) => {
    if (!sealed || !isLegacySealed(sealed)) return sealed ?? '';
    const { context, legacyContext } = secretContexts(place, stored, field);
    const plaintext = await openFor(env, 'provider-secrets', sealed, context, legacyContext);
    resealed += 1;
    return sealFor(env, 'provider-secrets', plaintext, context);
  });
  return { provider, resealed };
}

/**
 * A provider from the save request with its secrets resolved: `open` in clear (returned, used to send), `sealed`
 * to store. A secret that is typed is sealed for this provider's URL. One left out (or sent back masked) keeps
 * the stored ciphertext, as it is, only if the type and the URL are unchanged; otherwise the field must be
 * filled again (an issue), so a stored secret is never sent to a host it was not entered for.
 */
export async function resolveSecrets<T extends ProviderShape>(
  env: SecretEnv,
  place: ProviderPlace & { path: string },
  input: T,
  current: { open: ProviderShape; sealed: ProviderShape } | null,
  issues: SecretIssue[],
): Promise<{ open: T; sealed: T }> {
  const stored = new Map<string, { open?: string; sealed?: string }>();
  if (current) {
    await mapSecrets(place.channel, current.open, (field, value) => (stored.set(field, { open: value }), ''));
    await mapSecrets(place.channel, current.sealed, (field, value) => (stored.set(field, { ...stored.get(field), sealed: value }), ''));
  }
  const sameType = current !== null && current.open.type === input.type;
  const sameTarget = sameType && providerUrlOf(place.channel, current.open) === providerUrlOf(place.channel, input);
  const sealedByField = new Map<string, string>();
  const open = await mapSecrets(place.channel, input, async (field, given, path) => {
    if (!isMaskedSecret(given)) {
      const { context } = secretContexts(place, input, field);
      sealedByField.set(field, await sealFor(env, 'provider-secrets', utf8.encode(given!), context));
      return given!;
    }
    const kept = stored.get(field);
    if (sameTarget && kept?.open && kept.sealed) {
      sealedByField.set(field, kept.sealed);
      return kept.open;
    }
    const urlChanged = sameType && Boolean(kept?.open);
    issues.push(
      urlChanged
        ? { path: `${place.path}.${path}`, code: 'PROVIDER_SECRET_URL_CHANGED', message: 'required: the URL changed, so enter the secret again (a stored secret goes only to the URL it was entered for)' }
        : { path: `${place.path}.${path}`, code: 'PROVIDER_SECRET_REQUIRED', message: 'required' },
    );
    return '';
  });
  const sealed = await mapSecrets(place.channel, input, (field) => sealedByField.get(field) ?? '');
  return { open, sealed };
}
