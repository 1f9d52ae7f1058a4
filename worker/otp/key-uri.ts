/**
 * otpauth:// key URIs for enrolment by scanning (Google Authenticator, Microsoft Authenticator, Protectimus Smart),
 * built and read with the `otpauth` library: base32 secret without padding, issuer in the label and as a parameter.
 */
import * as OTPAuth from 'otpauth';
import { fieldRefusal } from '../lib/validate';
import type { HashAlgorithm } from './hotp';

/**
 * The issuer an authenticator app lists a token under when the deployment names none (TOKEN_ISSUER): the product,
 * which the user recognises, rather than the host name, which they may never have seen.
 */
export const DEFAULT_TOKEN_ISSUER = 'Edge Identity';

/** The issuer of tokens an administrator creates: the configured name, else the product's. */
export function adminTokenIssuer(configured: string | undefined): string {
  return configured?.trim() || DEFAULT_TOKEN_ISSUER;
}

export interface KeyUriParams {
  type: 'TOTP' | 'HOTP';
  secret: Uint8Array;
  issuer: string;
  account: string;
  algorithm: HashAlgorithm;
  digits: number;
  periodInSeconds?: number;
  counter?: number;
}

export function buildKeyUri(params: KeyUriParams): string {
  const secret = new OTPAuth.Secret({ buffer: params.secret.slice().buffer as ArrayBuffer });
  const common = { issuer: params.issuer, label: params.account, secret, algorithm: params.algorithm, digits: params.digits, issuerInLabel: true };
  return params.type === 'TOTP'
    ? new OTPAuth.TOTP({ ...common, period: params.periodInSeconds ?? 30 }).toString()
    : new OTPAuth.HOTP({ ...common, counter: params.counter ?? 0 }).toString();
}

export function parseKeyUri(uri: string): KeyUriParams {
  let parsed: OTPAuth.HOTP | OTPAuth.TOTP;
  try {
    parsed = OTPAuth.URI.parse(uri);
  } catch (error) {
    throw fieldRefusal('uri', 'OTPAUTH_URI_INVALID', `not a valid otpauth:// URI: ${(error as Error).message}`);
  }
  const algorithm = parsed.algorithm.replace('-', '') as HashAlgorithm;
  return {
    type: parsed instanceof OTPAuth.TOTP ? 'TOTP' : 'HOTP',
    secret: new Uint8Array(parsed.secret.buffer),
    issuer: parsed.issuer,
    account: parsed.label,
    algorithm,
    digits: parsed.digits,
    ...(parsed instanceof OTPAuth.TOTP ? { periodInSeconds: parsed.period } : { counter: parsed.counter }),
  };
}
