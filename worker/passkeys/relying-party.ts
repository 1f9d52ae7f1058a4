/**
 * The WebAuthn relying party this deployment is: its RP ID (a passkey is bound to it by the authenticator, so a page
 * on another host cannot ask for it) and the origin the browser must report. From PUBLIC_ORIGIN when configured,
 * since the Host header is the sender's to choose; otherwise (a local start) from the request URL.
 */
import type { Env } from '../env';
import { AppError } from '../errors';

export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

/** What authenticators show next to the account name. */
const RELYING_PARTY_NAME = 'Edge Identity';

export function relyingPartyOf(env: Pick<Env, 'PUBLIC_ORIGIN'>, requestUrl: string): RelyingParty {
  const configured = env.PUBLIC_ORIGIN?.trim();
  const url = configured ? (URL.canParse(configured) ? new URL(configured) : null) : new URL(requestUrl);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new AppError('PUBLIC_ORIGIN_REQUIRED');
  return { id: url.hostname, name: RELYING_PARTY_NAME, origin: url.origin };
}
