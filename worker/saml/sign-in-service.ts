/**
 * SAML sign-in at the platform:
 *   GET /saml/login  -> pending AuthnRequest (challenge bound to this browser)  -> IdP
 *   POST /saml/acs   -> verified response -> user by email (registered at the first sign-in) -> sign-in hook
 *                    -> one D1 batch: new user + hook statements + session + UserLogin
 * Users are found by the identity key of the email claim (worker/lib/identity.ts), never by a silently trimmed
 * value. Every refusal is recorded as a UserLoginAttempt with its reason and a reference; the browser is shown
 * only the reference (error-page.ts).
 */
import { activityStatement } from '../activities/repo';
import { SAML_ACS_POSTS_PER_IP, SAML_LOGIN_REQUESTS_PER_IP, SAML_RATE_WINDOW_MS, SAML_RELAY_STATE_MAX_CHARS, SAML_REQUEST_TTL_MS } from '../constants';
import { sha256Hex } from '../lib/crypto';
import { isUniqueViolation } from '../lib/d1-errors';
import { fillMissingIdentityKeys, identityKey, readIdentity } from '../lib/identity';
import { consumeRateLimit } from '../lib/rate-limit';
import { ipRateKey } from '../messaging/limits';
import { fields } from '../lib/validate';
import { mintSessionToken, sessionStatement } from '../auth/sessions';
import { NAME_ID_CLAIM, type SamlConfig } from './config';
import { readAppliedSamlConfig } from './config-service';
import { newErrorReference } from './error-page';
import { currentSignInHook } from './sign-in-hook';
import { buildAuthnRequest, newRequestId, redirectBindingUrl } from './sp-messages';
import { insertPendingRequest, insertUserStatement, isLoginKeyTaken, usersWithEmailKey, type UserColumns } from './repo';
import { pendingRequestKey, SAML_REQUEST_PURPOSE, verifySamlResponse, type PendingRequestData, type SamlRejectReason, type VerifyOptions } from './verify-response';

export type Language = 'de' | 'en';

export interface RequestMeta {
  ip: string;
  client: string;
  nowMs: number;
}

/** Reasons a sign-in is refused after (or instead of) verifying the response. */
export type SamlSignInReason =
  | SamlRejectReason
  | 'saml_unavailable'
  | 'rate_limited'
  | 'email_claim_missing'
  | 'email_claim_invalid'
  | 'email_ambiguous'
  | 'login_taken'
  | 'user_disabled'
  | 'sign_in_hook_denied';

/**
 * A same-origin path for the return address, or null. Absolute URLs, scheme-relative `//host`, backslash tricks
 * (`/\host` is `//host` to browsers) and control characters are refused.
 */
export function safeReturnPath(value: string | null | undefined): string | null {
  if (!value || value.length > SAML_RELAY_STATE_MAX_CHARS) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  try {
    // Whatever the path says, resolved against our origin it must stay on our origin.
    const base = 'https://origin.invalid';
    if (new URL(value, base).origin !== base) return null;
  } catch {
    return null;
  }
  return value;
}

// ---------------------------------------------------------------- SP-initiated: the AuthnRequest

export type StartResult = { ok: true; redirectUrl: string; browserToken: string } | { ok: false; reason: 'saml_unavailable' | 'rate_limited' };

/**
 * Creates a pending AuthnRequest bound to the browser: the caller sets `browserToken` as a cookie (a token the
 * browser already has is reused, so parallel tabs keep working) and redirects to `redirectUrl`.
 */
export async function startSamlSignIn(
  db: D1Database,
  input: { acsUrl: string; returnTo: string; browserToken: string | null; meta: RequestMeta },
): Promise<StartResult> {
  const applied = await readAppliedSamlConfig(db);
  if (!applied?.allowSignIn) return { ok: false, reason: 'saml_unavailable' };
  // Each call writes a row: bounded per IP like the password sign-in.
  const limit = await consumeRateLimit(db, `saml-login-ip:${ipRateKey(input.meta.ip)}`, SAML_LOGIN_REQUESTS_PER_IP, SAML_RATE_WINDOW_MS, input.meta.nowMs);
  if (!limit.allowed) return { ok: false, reason: 'rate_limited' };

  const browserToken = input.browserToken && /^[A-Za-z0-9_-]{32,128}$/.test(input.browserToken) ? input.browserToken : randomUrlToken();
  const requestId = newRequestId();
  const data: PendingRequestData = { returnTo: input.returnTo, browserBinding: await sha256Hex(browserToken) };
  await insertPendingRequest(db, {
    id: await pendingRequestKey(requestId),
    purpose: SAML_REQUEST_PURPOSE,
    requestId,
    data: JSON.stringify(data),
    ip: input.meta.ip,
    nowMs: input.meta.nowMs,
    expiresAt: input.meta.nowMs + SAML_REQUEST_TTL_MS,
  });
  const xml = buildAuthnRequest({ requestId, nowMs: input.meta.nowMs, spEntityId: applied.config.spEntityId, acsUrl: input.acsUrl, destination: applied.config.singleSignOnServiceUrl });
  return { ok: true, redirectUrl: await redirectBindingUrl(applied.config.singleSignOnServiceUrl, xml, input.returnTo), browserToken };
}

function randomUrlToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// ---------------------------------------------------------------- the ACS

export interface AcsInput {
  samlResponse: string | null;
  relayState: string | null;
  browserToken: string | null;
  acsUrl: string;
  /** Language of the browser (Accept-Language), used when the claims name none. */
  browserLanguage: Language;
  meta: RequestMeta;
  /** Tests only (third-party fixtures); never set by a route. */
  relaxForFixtures?: VerifyOptions['relaxForFixtures'];
}

export type AcsOutcome =
  | {
      ok: true;
      userId: string;
      sessionToken: string;
      sessionId: string;
      /** The account was created by this sign-in: show the registration/welcome step. */
      firstSignIn: boolean;
      language: Language;
      /** Where the browser goes next: the return path, or the welcome step after a first sign-in. */
      redirectTo: string;
    }
  | {
      ok: false;
      /**
       * 429 and 409 (sign-in off) come before the response is read; every other refusal is one 400, whatever the
       * reason, so the status is no oracle either.
       */
      status: 400 | 409 | 429;
      reason: SamlSignInReason;
      /** Names the UserLoginAttempt row that holds the reason. */
      reference: string;
      language: Language;
    };

export async function completeSamlSignIn(db: D1Database, input: AcsInput): Promise<AcsOutcome> {
  const { meta } = input;
  let language = input.browserLanguage;
  const fail = async (reason: SamlSignInReason, login: string | null, userId: string | null, detail?: Record<string, unknown>): Promise<AcsOutcome> => {
    const reference = newErrorReference();
    await activityStatement(db, { type: 'UserLoginAttempt', userId, login, channel: 'saml', ip: meta.ip, client: meta.client, detail: { reason, reference, ...detail }, nowMs: meta.nowMs }).run();
    const status = reason === 'rate_limited' ? 429 : reason === 'saml_unavailable' ? 409 : 400;
    return { ok: false, status, reason, reference, language };
  };

  const applied = await readAppliedSamlConfig(db);
  if (!applied?.allowSignIn) return fail('saml_unavailable', null, null);
  const config = applied.config;
  // Signature checks cost CPU: posts per IP are bounded before any parsing.
  const limit = await consumeRateLimit(db, `saml-acs-ip:${ipRateKey(meta.ip)}`, SAML_ACS_POSTS_PER_IP, SAML_RATE_WINDOW_MS, meta.nowMs);
  if (!limit.allowed) return fail('rate_limited', null, null);

  const verdict = await verifySamlResponse(db, {
    samlResponse: input.samlResponse,
    config,
    acsUrl: input.acsUrl,
    nowMs: meta.nowMs,
    browserToken: input.browserToken,
    relaxForFixtures: input.relaxForFixtures,
  });
  if (!verdict.ok) {
    // A failure after the signature checks carries the signed assertion: its NameID names who tried.
    return fail(verdict.reason, verdict.assertion?.nameId ?? verdict.nameId ?? null, null, verdict.detail ? { detail: verdict.detail } : undefined);
  }
  const { assertion } = verdict;
  const claims = claimsOf(assertion.attributes, assertion.nameId);
  const claimedLanguage = languageOf(firstClaim(claims, config.claimLanguage));
  if (claimedLanguage) language = claimedLanguage;

  const claimed = firstClaim(claims, config.claimEmail);
  if (claimed === null) return fail('email_claim_missing', assertion.nameId, null, { claim: config.claimEmail });
  const reading = readIdentity(claimed);
  if (!reading.ok) return fail(reading.reason, assertion.nameId, null, { claim: config.claimEmail, codePoint: reading.codePoint });
  const email = reading.value;
  if (!fields.email.safeParse(email).success) return fail('email_claim_invalid', assertion.nameId, null, { claim: config.claimEmail });

  await fillMissingIdentityKeys(db);
  const emailKey = identityKey(email);
  // Two accounts may share a key only from before the key existed (migration 0007); such an email signs in no one.
  const matches = await usersWithEmailKey(db, emailKey);
  if (matches.length > 1) return fail('email_ambiguous', email, null);

  let user: UserColumns | null = matches[0] ?? null;
  let newUserStatement: D1PreparedStatement | null = null;
  if (user) {
    if (!user.enabled) return fail('user_disabled', user.login, user.id);
  } else {
    const registered = registrationOf(email, claims, config, language, meta.nowMs);
    const loginKey = identityKey(registered.login);
    if (await isLoginKeyTaken(db, loginKey)) return fail('login_taken', email, null);
    user = registered;
    // The keys are written with the row; the UNIQUE login_key index refuses a concurrent colliding registration.
    newUserStatement = insertUserStatement(db, {
      id: registered.id,
      login: registered.login,
      firstName: registered.first_name,
      lastName: registered.last_name,
      email: registered.email,
      language: registered.language,
      createdAt: meta.nowMs,
      updatedAt: meta.nowMs,
      loginKey,
      emailKey,
    });
  }

  const hook = await currentSignInHook()({ db, nowMs: meta.nowMs, claims, userId: user.id, user: { ...user } });
  if (hook.outcome === 'deny') return fail('sign_in_hook_denied', user.login, newUserStatement ? null : user.id, { hookReason: hook.reason });

  const firstSignIn = newUserStatement !== null;
  const { token, sessionId } = await mintSessionToken();
  const statements = [
    ...(newUserStatement ? [newUserStatement] : []),
    ...hook.statements,
    sessionStatement(db, sessionId, { userId: user.id, kind: 'platform', method: 'saml', ip: meta.ip, userAgent: meta.client, nowMs: meta.nowMs }),
    activityStatement(db, {
      type: 'UserLogin',
      userId: user.id,
      login: user.login,
      channel: 'saml',
      ip: meta.ip,
      client: meta.client,
      detail: { method: 'saml', firstSignIn, issuer: assertion.issuer, assertionId: assertion.assertionId, ...(hook.note ? { note: hook.note } : {}) },
      nowMs: meta.nowMs,
    }),
  ];
  try {
    await db.batch(statements);
  } catch (error) {
    // Two first sign-ins of one person at once: the second loses the INSERT race and is asked to retry.
    if (newUserStatement && isUniqueViolation(error)) return fail('login_taken', email, null);
    throw error;
  }

  const returnTo = verdict.returnTo ?? safeReturnPath(input.relayState) ?? '/';
  const redirectTo = firstSignIn ? `/welcome?lang=${language}${returnTo !== '/' ? `&next=${encodeURIComponent(returnTo)}` : ''}` : returnTo;
  return { ok: true, userId: user.id, sessionToken: token, sessionId, firstSignIn, language, redirectTo };
}

/** Claims = the signed assertion's attributes, plus its NameID under "NameID" (and the nameidentifier URI when no attribute has it). */
export function claimsOf(attributes: Record<string, string[]>, nameId: string): Record<string, string[]> {
  const claims: Record<string, string[]> = Object.create(null);
  for (const [name, values] of Object.entries(attributes)) claims[name] = [...values];
  claims[NAME_ID_CLAIM] = [nameId];
  const nameIdentifier = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
  claims[nameIdentifier] ??= [nameId];
  return claims;
}

/** The first value that is more than XML formatting whitespace (a value of invisible characters is not skipped: it is refused). */
function firstClaim(claims: Record<string, string[]>, name: string | undefined): string | null {
  if (!name) return null;
  const value = claims[name]?.find((v) => /[^ \t\r\n]/.test(v));
  return value ?? null;
}

/** "de", "de-DE", "de_AT", "German"/"Deutsch" -> de; the same for English; anything else -> null. */
export function languageOf(value: string | null): Language | null {
  if (!value) return null;
  const lower = value.trim().toLowerCase();
  if (/^de([-_].*)?$/.test(lower) || lower === 'german' || lower === 'deutsch') return 'de';
  if (/^en([-_].*)?$/.test(lower) || lower === 'english' || lower === 'englisch') return 'en';
  return null;
}

/** The first of de/en the browser prefers (by q), else English. */
export function languageFromAcceptLanguage(header: string | null | undefined): Language {
  const ranked = (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { language: languageOf(tag ?? ''), q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.language !== null && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked[0]?.language ?? 'en';
}

function registrationOf(email: string, claims: Record<string, string[]>, config: SamlConfig, language: Language, nowMs: number) {
  const clip = (value: string | null) => (value ?? '').trim().slice(0, 100);
  // The email is the login: it is what identifies the person at the IdP and at the password sign-in alike.
  return {
    id: crypto.randomUUID(),
    login: email.slice(0, 128),
    first_name: clip(firstClaim(claims, config.claimFirstName)),
    last_name: clip(firstClaim(claims, config.claimLastName)),
    email,
    phone: null,
    language,
    enabled: 1,
    is_admin: 0,
    created_at: nowMs,
    updated_at: nowMs,
  };
}


/** An IdP post over the size cap: refused unread, kept as a failed SAML sign-in attempt under its error reference. */
export async function recordOversizedSamlResponse(db: D1Database, meta: RequestMeta, reference: string): Promise<void> {
  await activityStatement(db, { type: 'UserLoginAttempt', userId: null, channel: 'saml', ip: meta.ip, client: meta.client, detail: { reason: 'too_large', reference }, nowMs: meta.nowMs }).run();
}
