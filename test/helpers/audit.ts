/** For tests that call an admin service directly: the audit row builder of a change made by no one in particular. */
import { env } from 'cloudflare:workers';
import { auditStatement, type Audit } from '../../worker/audit/record';

export function testAudit(): Audit {
  return (change) => auditStatement(env.DB, { userId: null, apiKeyId: null, ip: null, client: 'test', nowMs: Date.now() }, change);
}
