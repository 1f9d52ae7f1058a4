/**
 * The extension point that runs before a SAML sign-in creates its session: the sign-in script. It sees the
 * received claims, the user (a `users` row, snake_case columns; for a first sign-in the row about to be inserted)
 * and the user's id. It either denies (no session; the reason is recorded with the UserLoginAttempt) or allows
 * with statements that the ACS executes in the same D1 batch that creates the user and the session.
 */
import { runAppliedScript } from '../scripts/service';

export interface SignInHookInput {
  db: D1Database;
  nowMs: number;
  claims: Record<string, string[]>;
  userId: string;
  user: Record<string, unknown>;
}

export type SignInHookResult = { outcome: 'allow'; statements: D1PreparedStatement[]; note?: string } | { outcome: 'deny'; reason: string };

export type SignInHook = (input: SignInHookInput) => Promise<SignInHookResult>;

/** Allows every sign-in and changes nothing. */
export const allowAllHook: SignInHook = async () => ({ outcome: 'allow', statements: [] });

/** The platform's sign-in script (worker/scripts): allows with nothing to apply while no script is applied or enabled. */
export const scriptSignInHook: SignInHook = (input) =>
  runAppliedScript(input.db, { claims: input.claims, userId: input.userId, userRow: input.user, nowMs: input.nowMs });

let activeHook: SignInHook = scriptSignInHook;

/** The hook the ACS runs now. */
export function currentSignInHook(): SignInHook {
  return activeHook;
}

/** Replaces the hook (tests, or a deployment that plugs in another host); returns the previous one to restore. */
export function setSignInHook(hook: SignInHook): SignInHook {
  const previous = activeHook;
  activeHook = hook;
  return previous;
}
