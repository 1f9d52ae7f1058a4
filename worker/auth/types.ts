/** Who is making a request, as established by the auth middleware. */
export type Principal =
  | {
      kind: 'session';
      sessionId: string;
      sessionKind: 'platform' | 'portal';
      userId: string;
      isAdmin: boolean;
      resourceId: string | null;
    }
  | { kind: 'apiKey'; apiKeyId: string };
