/**
 * A bench-only Worker for bench/saml.ts: runs the ACS's pure verification (`decodeSamlResponse` +
 * `verifyResponseXml`, the code /saml/acs runs before its D1 statements) N times on one posted response inside
 * workerd, and reports what it saw.
 *
 *   POST /  { samlResponse, n, entityId, spEntityId, certificate, acsUrl, nowMs }
 *        -> { n, ok, reason, nameId, performanceNowMs, dateNowMs }
 *
 * The two clocks read around the loop say whether this workerd advances its timers during pure CPU work (the
 * Cloudflare runtime does not, DESIGN.md §4). The benchmark does not rely on them: it times requests with N and
 * with 0 iterations from outside and divides the difference by N.
 */
import { decodeSamlResponse, verifyResponseXml, type ResponseVerdict } from '../../worker/saml/verify-response';

interface RunRequest {
  samlResponse: string;
  n: number;
  entityId: string;
  spEntityId: string;
  certificate: string;
  acsUrl: string;
  nowMs: number;
}

function verifyOnce(input: RunRequest): ResponseVerdict {
  const decoded = decodeSamlResponse(input.samlResponse);
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  return verifyResponseXml(decoded.xml, {
    config: { entityId: input.entityId, spEntityId: input.spEntityId, certificate: input.certificate },
    acsUrl: input.acsUrl,
    nowMs: input.nowMs,
  });
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== 'POST') return Response.json({ ok: true });
    const input = (await request.json()) as RunRequest;
    let verdict: ResponseVerdict | null = null;
    let accepted = 0;
    const performanceStart = performance.now();
    const dateStart = Date.now();
    for (let i = 0; i < input.n; i++) {
      verdict = verifyOnce(input);
      if (verdict.ok) accepted++;
    }
    const performanceNowMs = performance.now() - performanceStart;
    const dateNowMs = Date.now() - dateStart;
    return Response.json({
      n: input.n,
      accepted,
      reason: verdict && !verdict.ok ? verdict.reason : null,
      nameId: verdict?.ok ? verdict.assertion.nameId : null,
      performanceNowMs,
      dateNowMs,
    });
  },
};
