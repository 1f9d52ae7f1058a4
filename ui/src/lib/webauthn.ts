/**
 * Passkey ceremonies for every surface (/login, /profile, the portal). The WebAuthn library is imported only when a
 * ceremony starts, so the first load of /login and the portal carries none of it (budget: 60 KB of gzipped JS);
 * the support checks read the browser's own API and load nothing. The one request that starts with the page, /login's
 * autofill, uses the browser's own JSON conversions (WebAuthn Level 3) where it has them, so it loads nothing
 * either; only a browser without them loads the library for it.
 *
 * The browser's refusals become `ApiError`s with status 0 and a stable code, like a network failure, so every
 * page shows them through `describeError` in the user's language. A cancelled ceremony is an everyday event (the
 * user closed the prompt, or it timed out), not an attack: `isCancelledCeremony` lets a page say it calmly, and
 * `isSupersededCeremony` lets it ignore a ceremony that another one replaced (a click on "Sign in with a passkey"
 * ends the pending autofill request).
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { ApiError } from './api';
import { ERROR_TEXTS, type PasskeyRefusal } from './error-texts';

export type { AuthenticationResponseJSON, PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON, RegistrationResponseJSON };

/** The browser's refusals carry codes of their own; their texts in both languages are in error-texts.ts. */
export type { PasskeyRefusal };

const refusal = (code: PasskeyRefusal) => new ApiError(0, code, ERROR_TEXTS.en[code]);

/** The pending autofill request made without the library, which the library's own abort cannot reach. */
let nativeAutofill: AbortController | null = null;

let library: Promise<typeof import('@simplewebauthn/browser')> | null = null;
const loadLibrary = () => (library ??= import('@simplewebauthn/browser'));

/**
 * Whether passkeys can work here: a secure context with the API, opened by a host name (WebAuthn refuses an IP
 * address as the relying party, so at http://127.0.0.1 the passkey buttons would only ever fail).
 */
export function passkeysSupported(): boolean {
  if (typeof window === 'undefined' || !window.isSecureContext || typeof window.PublicKeyCredential !== 'function') return false;
  const host = location.hostname;
  return !/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && !host.startsWith('[');
}

/** Whether the browser can offer passkeys in a field's autofill list (conditional mediation). */
export async function autofillSupported(): Promise<boolean> {
  if (!passkeysSupported()) return false;
  const check = (PublicKeyCredential as unknown as { isConditionalMediationAvailable?: () => Promise<boolean> }).isConditionalMediationAvailable;
  try {
    return typeof check === 'function' ? await check.call(PublicKeyCredential) : false;
  } catch {
    return false;
  }
}

/** Registration: the authenticator makes a new passkey for the server's options. */
export async function createPasskey(options: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  if (!passkeysSupported()) throw refusal('PASSKEY_NOT_SUPPORTED');
  const { startRegistration } = await loadLibrary();
  try {
    return await startRegistration({ optionsJSON: options });
  } catch (error) {
    throw refusalOf(error);
  }
}

/**
 * Authentication: the user picks a passkey for the server's options. With `autofill`, the request waits quietly for
 * the user to choose a passkey in the autofill list of the field marked `autocomplete="username webauthn"`.
 */
export async function usePasskey(options: PublicKeyCredentialRequestOptionsJSON, { autofill = false }: { autofill?: boolean } = {}): Promise<AuthenticationResponseJSON> {
  if (!passkeysSupported()) throw refusal('PASSKEY_NOT_SUPPORTED');
  // A browser runs one request at a time: a new one replaces the autofill request still waiting.
  nativeAutofill?.abort();
  const json = nativeJson();
  if (autofill && json) return autofillNatively(options, json);
  const { startAuthentication } = await loadLibrary();
  try {
    return await startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
  } catch (error) {
    throw refusalOf(error);
  }
}

/** Ends a pending ceremony (e.g. the autofill request when the page is left); before the first ceremony none can be. */
export async function cancelPasskeyCeremony(): Promise<void> {
  nativeAutofill?.abort();
  if (library) (await library).WebAuthnAbortService.cancelCeremony();
}

interface NativeJson {
  parseRequestOptionsFromJSON(options: PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptions;
}

/** The browser's WebAuthn Level 3 JSON conversions (options in, credential out), when it has both. */
function nativeJson(): NativeJson | null {
  const native = PublicKeyCredential as unknown as Partial<NativeJson>;
  const hasToJson = typeof (PublicKeyCredential.prototype as { toJSON?: unknown }).toJSON === 'function';
  return typeof native.parseRequestOptionsFromJSON === 'function' && hasToJson ? (native as NativeJson) : null;
}

async function autofillNatively(options: PublicKeyCredentialRequestOptionsJSON, json: NativeJson): Promise<AuthenticationResponseJSON> {
  const controller = new AbortController();
  nativeAutofill = controller;
  try {
    const credential = await navigator.credentials.get({ mediation: 'conditional', publicKey: json.parseRequestOptionsFromJSON(options), signal: controller.signal });
    if (!credential) throw refusal('PASSKEY_CANCELLED');
    return (credential as PublicKeyCredential & { toJSON(): AuthenticationResponseJSON }).toJSON();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw controller.signal.aborted ? refusal('PASSKEY_SUPERSEDED') : refusalOf(error);
  } finally {
    if (nativeAutofill === controller) nativeAutofill = null;
  }
}

export const isCancelledCeremony = (error: unknown) => error instanceof ApiError && error.code === 'PASSKEY_CANCELLED';
export const isSupersededCeremony = (error: unknown) => error instanceof ApiError && error.code === 'PASSKEY_SUPERSEDED';

/**
 * The library wraps the DOMException in a WebAuthnError whose `cause` is the original; the DOMException's name is
 * what the WebAuthn specification defines, so that decides.
 */
function refusalOf(error: unknown): ApiError {
  const original = (error as { cause?: unknown })?.cause ?? error;
  const name = (original as { name?: string })?.name ?? (error as { name?: string })?.name;
  const code = (error as { code?: string })?.code;
  if (code === 'ERROR_CEREMONY_ABORTED') return refusal('PASSKEY_SUPERSEDED');
  // The spec folds "the user cancelled", "timed out" and "no matching passkey here" into NotAllowedError on purpose
  // (telling them apart would let a site probe which credentials a device holds).
  if (name === 'NotAllowedError' || name === 'AbortError') return refusal('PASSKEY_CANCELLED');
  if (name === 'InvalidStateError') return refusal('PASSKEY_ALREADY_REGISTERED');
  if (name === 'NotSupportedError' || name === 'ConstraintError') return refusal('PASSKEY_NOT_SUPPORTED');
  // The RP ID the server named is not this page's host (or a suffix of it): a site reached by another name.
  if (name === 'SecurityError') return refusal('PASSKEY_SITE_MISMATCH');
  return refusal('PASSKEY_BROWSER_ERROR');
}
