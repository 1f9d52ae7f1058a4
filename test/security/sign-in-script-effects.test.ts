/**
 * Attack: an IdP's claims drive the sign-in script, so whoever controls a claim controls what the script saves.
 * (1) A script that disables users by a claim disables the last enabled administrator, and nobody can administer
 * the platform any more. (2) A claim sets the signing-in user's email to another account's address in another
 * case, so two accounts share one identity and the next SAML sign-in by email reaches the wrong one.
 * Both are refused where the script's effects become SQL (worker/scripts/service.ts effectStatements).
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { effectStatements } from '../../worker/scripts/service';
import { insertUser, unique } from '../helpers/worker';

const enabledOf = async (id: string) => (await env.DB.prepare('SELECT enabled FROM users WHERE id = ?').bind(id).first<{ enabled: number }>())!.enabled;

async function applyEffects(userId: string, changes: Record<string, string | boolean>) {
  const planned = await effectStatements(env.DB, [{ kind: 'saveUser', changes }], userId, Date.now());
  if (planned.ok && planned.statements.length > 0) await env.DB.batch(planned.statements);
  return planned;
}

describe('sign-in script effects', () => {
  it('a script cannot disable the last enabled administrator; with another admin it can', async () => {
    await env.DB.prepare('UPDATE users SET enabled = 0 WHERE is_admin = 1').run();
    const onlyAdmin = await insertUser({ login: unique('admin-'), isAdmin: true });

    await applyEffects(onlyAdmin.id, { enabled: false });
    expect(await enabledOf(onlyAdmin.id)).toBe(1);

    const secondAdmin = await insertUser({ login: unique('admin-'), isAdmin: true });
    await applyEffects(onlyAdmin.id, { enabled: false });
    expect(await enabledOf(onlyAdmin.id)).toBe(0);
    expect(await enabledOf(secondAdmin.id)).toBe(1);
  });

  it("a script cannot give the user another account's email under the identity key", async () => {
    const owner = await insertUser({ login: unique('owner-'), email: `${unique('mail')}@example.com` });
    const ownerEmail = (await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(owner.id).first<{ email: string }>())!.email;
    const victimOfMixup = await insertUser({ login: unique('other-') });

    const planned = await applyEffects(victimOfMixup.id, { email: ownerEmail.toUpperCase() });
    expect(planned).toMatchObject({ ok: false, problem: { code: 'INVALID_VALUE', problem: 'emailOfAnotherAccount' } });
    const row = await env.DB.prepare('SELECT email FROM users WHERE id = ?').bind(victimOfMixup.id).first<{ email: string | null }>();
    expect(row!.email).toBeNull();

    const free = `${unique('free')}@example.com`;
    expect((await applyEffects(victimOfMixup.id, { email: free })).ok).toBe(true);
    const saved = await env.DB.prepare('SELECT email, email_key FROM users WHERE id = ?').bind(victimOfMixup.id).first<{ email: string; email_key: string }>();
    expect(saved).toEqual({ email: free, email_key: free.toLowerCase() });
  });
});
