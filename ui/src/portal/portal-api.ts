/**
 * The portal's view of /api/portal/:alias/...: the answers' types and a client bound to one portal. The server
 * decides everything (enabled actions, sessions, CSRF).
 */
import type { SelfServiceAction, SelfServiceTokenType } from '../../../worker/selfservice/actions';
import { api, ApiError, apiFetch } from '../lib/api';
import { portalApi } from '../lib/api-client';
import { describeError } from '../lib/i18n';
import { withStepUp, withStepUpFetch, type StepUpPrompt } from './step-up';

export type { SelfServiceAction, SelfServiceTokenType };
/** The answers as the portal API declares them (worker/selfservice/api-schemas.ts). */
export type {
  CodeDelivery,
  Enrolment,
  MessageEnrolment,
  PortalEnvironment,
  PortalInfo,
  PortalOverview,
  PortalToken,
  RecoveryCodesIssued,
  RecoveryCodesSummary,
  RecoveryStart,
  SignInAnswer,
} from '../../../worker/selfservice/api-schemas';
export type { PortalStep as SignInStep } from '../../../worker/selfservice/signin-service';
export type { Authenticator } from '../../../worker/selfservice/recovery-service';

/**
 * A client for one portal (paths relative to /api/portal/<alias>). `api` is the typed client: its paths, bodies and
 * answers are the portal's route declarations (await a call with `answer()`). get/post/put/delete call by path
 * with a named answer type; the sign-in, restore-access and step-up forms still do. With `stepUp`, a
 * STEP_UP_REQUIRED refusal asks for the current factor and the same call is sent again.
 */
export function portalClient(alias: string, stepUp?: StepUpPrompt) {
  const base = `/api/portal/${encodeURIComponent(alias)}`;
  const byPath = {
    get: <T>(path: string) => api.get<T>(base + path),
    post: <T>(path: string, body: unknown = {}) => api.post<T>(base + path, body),
    put: <T>(path: string, body: unknown = {}) => api.put<T>(base + path, body),
    delete: <T>(path: string) => api.delete<T>(base + path),
  };
  if (!stepUp) return { api: portalApi(alias), ...byPath };
  return { api: portalApi(alias, withStepUpFetch(apiFetch, stepUp)), ...withStepUp(byPath, stepUp) };
}
export type PortalClient = ReturnType<typeof portalClient>;

/** A failed call as a sentence in the user's language. */
export function portalError(error: unknown): string {
  return describeError(error);
}

export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'UNAUTHENTICATED';
}
