/**
 * Attack: password spraying from IPv6. The sign-in cap per client address (SIGNIN_ATTEMPTS_PER_IP) was keyed by the
 * exact address, but an IPv6 subscriber holds a whole /64 and may send from any of its 2^64 addresses: each new one
 * had a fresh budget, so the cap never applied to /login or to starting portal sign-ins. Every other per-IP limit
 * already counts an IPv6 client by its /64 (messaging/limits.ts ipRateKey); sign-in does too now.
 */
import { describe, expect, it } from 'vitest';
import { SIGNIN_ATTEMPTS_PER_IP } from '../../worker/constants';
import { portalWith } from '../helpers/portal';
import { call, json, unique } from '../helpers/worker';

let prefixCounter = 0;
/** A fresh /64 and a different address in it for every call of the returned function. */
function rotatingIpv6() {
  const prefix = `2001:db8:${(++prefixCounter).toString(16)}:${(Date.now() % 0xffff).toString(16)}`;
  let host = 0;
  return () => `${prefix}:${(++host).toString(16)}:0:0:1`;
}

describe(`the sign-in cap of ${SIGNIN_ATTEMPTS_PER_IP} per client counts an IPv6 client by its /64`, () => {
  it('/login: a new address from the same /64 for every guess is still one client', async () => {
    const nextIp = rotatingIpv6();
    // Unknown logins: each still runs the password check (against a dummy hash) and counts only on its own name.
    const attempt = () => call('/api/auth/login', { method: 'POST', headers: { 'cf-connecting-ip': nextIp() }, json: { login: unique('spray'), password: 'a guessed password' } });
    for (let i = 0; i < SIGNIN_ATTEMPTS_PER_IP; i++) expect((await json(attempt())).error.code).toBe('INVALID_CREDENTIALS');
    expect((await json(attempt())).error.code).toBe('RATE_LIMITED');
    // Each guess costs a full password check: on a loaded machine the 51 of them take a while.
  }, 60_000);

  it('portal: starting sign-ins from ever new addresses of one /64 is capped alike', async () => {
    const { alias } = await portalWith(['changeName']);
    const nextIp = rotatingIpv6();
    const start = () => call(`/api/portal/${alias}/signin`, { method: 'POST', headers: { 'cf-connecting-ip': nextIp() }, json: { login: unique('spray') } });
    for (let i = 0; i < SIGNIN_ATTEMPTS_PER_IP; i++) expect((await start()).status).toBe(200);
    expect((await json(start())).error.code).toBe('RATE_LIMITED');
  });
});
