/** Field rules the provider schemas share. */
import { z } from 'zod';
import { PROVIDER_TIMEOUT_MAX_MS, PROVIDER_TIMEOUT_MIN_MS, PROVIDER_TIMEOUT_MS } from '../../constants';

/** A secret in a save request: left out or sent back masked keeps the stored one (secrets.ts). */
export const secretInput = z.string().max(2000).optional();
export const timeoutMs = z.number().int().min(PROVIDER_TIMEOUT_MIN_MS).max(PROVIDER_TIMEOUT_MAX_MS).default(PROVIDER_TIMEOUT_MS);
export const url = z.string().trim().min(1).max(2000);
export const noLineBreaks = (value: string) => !/[\r\n]/.test(value);
/** Sender ids: E.164 numbers or alphanumeric names (11 characters is the GSM limit for those). */
export const smsSender = z.string().trim().min(1).max(20).refine(noLineBreaks, 'must be one line');
