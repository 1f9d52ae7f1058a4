/**
 * The portal's view of /api/portal/:alias/...: the answers' types and a client bound to one portal. The server
 * decides everything (enabled actions, sessions, CSRF).
 */
import type { SelfServiceAction, SelfServiceTokenType } from '../../../worker/selfservice/actions';
import { ApiError, apiFetch } from '../lib/api';
import { portalApi, type PortalApi } from '../lib/api-client';
import { describeError } from '../lib/i18n';
import { withStepUpFetch, type StepUpPrompt } from './step-up';

export type { SelfServiceAction, SelfServiceTokenType };
/** The answers as the portal API declares them (worker/selfservice/api-schemas.ts). */
export type {
  CodeDelivery,
  Enrolment,
  MessageEnrolment,
  PortalEnvironment,
  PortalOverview,
  RecoveryCodesIssued,
  RecoveryStart,
  SignInAnswer,
} from '../../../worker/selfservice/api-schemas';
export type { PortalStep as SignInStep } from '../../../worker/selfservice/signin-service';
export type { Authenticator } from '../../../worker/selfservice/recovery-service';

/**
 * The typed client of one portal (paths relative to /api/portal/<alias>; await a call with `answer()`): its paths,
 * bodies and answers are the portal's route declarations. With `stepUp`, a STEP_UP_REQUIRED refusal asks for the
 * current factor and the same call is sent again.
 */
export function portalClient(alias: string, stepUp?: StepUpPrompt): PortalApi {
  return stepUp ? portalApi(alias, withStepUpFetch(apiFetch, stepUp)) : portalApi(alias);
}

/** A failed call as a sentence in the user's language. */
export function portalError(error: unknown): string {
  return describeError(error);
}

export function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'UNAUTHENTICATED';
}
