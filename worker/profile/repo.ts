/**
 * The statements of the profile's SMS 2FA number. Each change is conditional on the state the flow expects, so a
 * code confirmed for an old number or an activation without a confirmed number changes nothing.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { createDb } from '../db/client';
import { users } from '../db/schema';

/** Stores the confirmed number, only while 2FA is off (an active number is changed by switching 2FA off first). */
export async function confirmSmsPhone(d1: D1Database, userId: string, phone: string, nowMs: number): Promise<void> {
  await createDb(d1)
    .update(users)
    .set({ smsPhone: phone, smsPhoneVerified: true, updatedAt: nowMs })
    .where(and(eq(users.id, userId), eq(users.smsTwoFactorActive, false)));
}

/** Switches 2FA on, only on a confirmed number; false when there is none. */
export async function activateSmsTwoFactor(d1: D1Database, userId: string, nowMs: number): Promise<boolean> {
  const result = await createDb(d1)
    .update(users)
    .set({ smsTwoFactorActive: true, updatedAt: nowMs })
    .where(and(eq(users.id, userId), isNotNull(users.smsPhone), eq(users.smsPhoneVerified, true)));
  return result.meta.changes > 0;
}

/** Switches 2FA off and unconfirms the number, only while the number is still `phone`, the one the code went to. */
export async function deactivateSmsTwoFactor(d1: D1Database, userId: string, phone: string, nowMs: number): Promise<void> {
  await createDb(d1)
    .update(users)
    .set({ smsTwoFactorActive: false, smsPhoneVerified: false, updatedAt: nowMs })
    .where(and(eq(users.id, userId), eq(users.smsPhone, phone)));
}
