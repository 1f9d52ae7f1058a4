/**
 * "Many concurrent users": every one of `users` verifies `codesPerUser` successive HOTP codes, the requests
 * interleaved user by user (request j is user j % U's code floor(j / U)) and `concurrency` of them in flight at once,
 * from Node's fetch (keep-alive). Each answer is read, so accepted and refused are counted exactly; the run ends when
 * the list does (no wrap, no replays), and throughput is requests over wall time.
 */
import { generateHotpCode } from './hotp';
import type { BenchUser } from './verify-users';

export interface CrowdResult {
  requests: number;
  accepted: number;
  durationMs: number;
  requestsPerSecond: number;
  /** Per request, send to parsed answer, sorted. */
  latenciesMs: number[];
  reasons: Record<string, number>;
}

export async function runCrowd(options: {
  url: string;
  apiKey: string;
  resource: string;
  users: BenchUser[];
  codesPerUser: number;
  concurrency: number;
  firstCounter?: number;
}): Promise<CrowdResult> {
  const bodies: string[] = [];
  for (let code = 0; code < options.codesPerUser; code++) {
    for (const user of options.users) {
      bodies.push(JSON.stringify({ login: user.login, resource: options.resource, otp: generateHotpCode(user.seed, (options.firstCounter ?? 0) + code) }));
    }
  }
  const latenciesMs: number[] = [];
  const reasons: Record<string, number> = {};
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const sent = performance.now();
      const response = await fetch(options.url, { method: 'POST', headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' }, body });
      const answer = (await response.json()) as { accepted?: boolean; reason?: string; error?: { code?: string } };
      latenciesMs.push(performance.now() - sent);
      if (answer.accepted === true) accepted++;
      else {
        const reason = answer.reason ?? answer.error?.code ?? `HTTP ${response.status}`;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = performance.now() - started;
  latenciesMs.sort((a, b) => a - b);
  return { requests: bodies.length, accepted, durationMs, requestsPerSecond: bodies.length / (durationMs / 1000), latenciesMs, reasons };
}
