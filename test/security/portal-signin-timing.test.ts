/**
 * Threat: learning which logins exist and are assigned to a portal by timing its sign-in answers. The answers
 * themselves are the same for every login (portal-brute-force.test.ts); here the work done before each answer is
 * compared: the D1 statements a step runs until it answers, for a real assigned login and an unknown one.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { loadPortal } from '../../worker/selfservice/portal';
import { requestPortalEmailCode, startPortalSignIn, submitPortalEmailCode, submitPortalPassword, type PortalRequestMeta } from '../../worker/selfservice/signin-service';
import { assignedUser, lastEmailCode, portalWith } from '../helpers/portal';
import { statementRecorder } from '../helpers/statement-recorder';
import { unique } from '../helpers/worker';

let ipCounter = 0;
const freshIp = () => `198.18.7.${++ipCounter % 250}`;
const NO_ENVIRONMENT = { country: null, region: null, asn: null, timezone: null, tlsVersion: null, browser: null, os: null, ipPrefix: null };
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('portal sign-in timing', () => {
  it('a real assigned login and an unknown one run the same statements before each answer', async () => {
    // Attack: time the answers. The password and email-code steps looked the flow's user up only when the start
    // had found one, a code that was never sent cost an extra read to explain its refusal, and a requested code's
    // send was handed over before the step's last statement, so only a real recipient's answer waited behind it:
    // a stopwatch told which logins exist and are assigned to this portal.
    const { admin, resource, alias } = await portalWith(['changeName']);
    const withPassword = await assignedUser(admin, resource.id);
    const email = `${unique('code')}@example.test`;
    const withEmailCode = await assignedUser(admin, resource.id, { password: null, email });
    const portal = await loadPortal(env.DB, alias);

    const observe = async (login: string, recipient?: string) => {
      const recorder = statementRecorder();
      const { env: spied, defer } = recorder;
      const meta: PortalRequestMeta = { ip: freshIp(), client: 'timing test', nowMs: Date.now(), environment: NO_ENVIRONMENT };
      const answer = recorder.step;
      const start = await answer(() => startPortalSignIn(spied, portal, login, meta));
      const flow = (start.result as { flow: string }).flow;
      const password = await answer(() => submitPortalPassword(spied, portal, flow, 'attacker guess 1', meta, defer));
      const codeRequest = await answer(() => requestPortalEmailCode(spied, portal, flow, meta, defer));
      const guess = recipient ? otherCode(await lastEmailCode(recipient)) : '123456';
      const codeCheck = await answer(() => submitPortalEmailCode(spied, portal, flow, guess, meta, defer));
      return [start, password, codeRequest, codeCheck].map(({ error, statements }) => ({ error, statements }));
    };

    const forGhost = await observe(unique('ghost'));
    expect(forGhost.map((step) => step.error)).toEqual([null, 'INVALID_CREDENTIALS', null, 'CODE_INVALID']);
    expect(await observe(withPassword.login)).toEqual(forGhost);
    // The only login here that gets a code (assigned, no password, an email): its send starts after the answer.
    expect(await observe(withEmailCode.login, email)).toEqual(forGhost);
  });
});
