/** Who is making a request, as established by the auth middleware. */
import type { ApiKeyIdentity } from './api-keys';

export type Principal =
  | {
      kind: 'session';
      sessionId: string;
      sessionKind: 'platform' | 'portal';
      userId: string;
      isAdmin: boolean;
      resourceId: string | null;
    }
  | ({ kind: 'apiKey' } & ApiKeyIdentity);
