/** TOTP (RFC 6238): HOTP over the number of time steps since the Unix epoch (T0 = 0). The clock is a parameter. */
import { generateHotp } from './hotp';

export function timeStep(nowMs: number, periodInSeconds: number): number {
  return Math.floor(nowMs / 1000 / periodInSeconds);
}

export function generateTotp(key: CryptoKey, nowMs: number, periodInSeconds: number, digits: number): Promise<string> {
  return generateHotp(key, timeStep(nowMs, periodInSeconds), digits);
}
