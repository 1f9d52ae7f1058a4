/**
 * The portal's view of /api/portal/:alias/...: shapes of the answers and a client bound to one portal. The server
 * decides everything (enabled actions, sessions, CSRF); these types only mirror its answers.
 */
import type { SelfServiceAction, SelfServiceTokenType } from '../../../worker/selfservice/actions';
import { api, ApiError } from '../lib/api';
import { describeError } from '../lib/i18n';

export type { SelfServiceAction, SelfServiceTokenType };

export interface PortalInfo {
  resource: string;
  alias: string;
}

export interface PortalToken {
  id: string;
  serial: string;
  type: string;
  description: string;
  enabled: boolean;
  activated: boolean;
  hasPin: boolean;
  pinPosition: 'before' | 'after' | null;
  /** SMS/EMAIL tokens: where codes go, masked. */
  destination?: string | null;
}

/** The user's recovery code set, if they generated one: how many of its codes are still unused. */
export interface RecoveryCodesSummary {
  remaining: number;
  total: number;
  createdAt: number;
}

/** Generate Recovery Codes: the new set, shown once (grouped XXXX-XXXX-XXXX); the server keeps only hashes. */
export interface RecoveryCodesIssued {
  codes: string[];
  createdAt: number;
}

export interface PortalOverview {
  resource: { name: string; alias: string };
  actions: SelfServiceAction[];
  tokenTypes: SelfServiceTokenType[];
  user: { login: string; firstName: string; lastName: string; email: string | null; phone: string | null; language: 'de' | 'en'; hasPassword: boolean };
  token: PortalToken | null;
  /** The user's recovery code set; null: none. */
  recoveryCodes: RecoveryCodesSummary | null;
}

export type SignInStep = 'password' | 'email_code' | 'otp';
/**
 * emailCodeOption: the password step also offers "get a sign-in code by email" (for every login alike).
 * passkey: at the OTP step, one of the tokens the resource accepts is a passkey (POST /signin/passkey/options).
 */
export type SignInAnswer =
  | { state: 'continue'; flow: string; step: SignInStep; emailCodeOption: boolean; delivery?: CodeDelivery; passkey?: boolean }
  | { state: 'signed_in' };

/** SMS/EMAIL token at the OTP step: where the code went (masked). */
export interface CodeDelivery {
  channel: 'sms' | 'email';
  to: string;
}

/** Register New Token with SMS or EMAIL: the pending token and the handle of the code sent to its destination. */
export interface MessageEnrolment {
  token: { id: string; serial: string; type: 'SMS' | 'EMAIL'; destination: string | null };
  challengeId: string;
  expiresAt: number;
  channel: 'sms' | 'email';
}

export type Authenticator = 'password' | 'email' | 'token';
export interface RecoveryStart {
  flow: string;
  verify: Authenticator[];
  needs: { newPassword: boolean; newEmail: boolean };
}

export interface Enrolment {
  token: { id: string; serial: string };
  enrolment: { secretBase32: string; keyUri: string; qrSvg: string };
}

export interface PortalEnvironment {
  id: string;
  name: string | null;
  attributes: { country: string | null; region: string | null; asn: number | null; timezone: string | null; tlsVersion: string | null; browser: string | null; os: string | null; ipPrefix: string | null };
  signInCount: number;
  firstSeenAt: number;
  lastSeenAt: number;
}

/** A client for one portal: paths relative to /api/portal/<alias>. */
export function portalClient(alias: string) {
  const base = `/api/portal/${encodeURIComponent(alias)}`;
  return {
    get: <T>(path: string) => api.get<T>(base + path),
    post: <T>(path: string, body: unknown = {}) => api.post<T>(base + path, body),
    put: <T>(path: string, body: unknown = {}) => api.put<T>(base + path, body),
    delete: <T>(path: string) => api.delete<T>(base + path),
  };
}
export type PortalClient = ReturnType<typeof portalClient>;

/** A failed call as a sentence in the user's language. */
export function portalError(error: unknown): string {
  return describeError(error);
}

export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'UNAUTHENTICATED';
}
