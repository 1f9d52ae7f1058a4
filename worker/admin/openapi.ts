/**
 * The OpenAPI 3.1 description of the admin and verify APIs, built from the same zod schemas that validate the
 * requests (z.toJSONSchema), so the document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE } from '../errors';
import { createHardwareTokenBody, createMessageTokenBody, createSoftwareTokenBody, checkOtpBody, resyncBody, setPinBody, updateTokenBody } from '../tokens/schema';
import { createApiKeyBody } from '../auth/api-key-routes';
import { createUserBody, setPasswordBody, updateUserBody } from '../users/schema';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  contentType?: string;
  tag: string;
  security?: 'admin' | 'apiKey' | 'none';
}

const named = z.strictObject({ name: z.string().min(1).max(120) });
const assignment = z.strictObject({ userId: z.uuid(), tokenId: z.uuid().nullable().optional() });
const verifyBody = z.strictObject({ login: z.string(), resource: z.string(), otp: z.string(), challenge: z.string().optional() });

const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/admin/users', summary: 'List users (search, page, pageSize)', tag: 'Users' },
  { method: 'post', path: '/api/admin/users', summary: 'Create a user', body: createUserBody, tag: 'Users' },
  { method: 'get', path: '/api/admin/users/{id}', summary: 'Get a user', tag: 'Users' },
  { method: 'get', path: '/api/admin/users/{id}/overview', summary: 'The user page: the user, their tokens, assignments, workspaces, groups, recent activities and open user issues', tag: 'Users' },
  { method: 'patch', path: '/api/admin/users/{id}', summary: 'Update a user (demoting or disabling the last enabled administrator is refused: LAST_ADMIN)', body: updateUserBody, tag: 'Users' },
  { method: 'delete', path: '/api/admin/users/{id}', summary: 'Delete a user (not the last enabled administrator: LAST_ADMIN)', tag: 'Users' },
  { method: 'put', path: '/api/admin/users/{id}/password', summary: 'Set or remove the password', body: setPasswordBody, tag: 'Users' },
  { method: 'post', path: '/api/admin/users/{id}/unlock', summary: 'Clear the sign-in lockout', tag: 'Users' },
  { method: 'get', path: '/api/admin/offices', summary: 'List offices', tag: 'Offices' },
  { method: 'post', path: '/api/admin/offices', summary: 'Create an office', body: named, tag: 'Offices' },
  { method: 'patch', path: '/api/admin/offices/{id}', summary: 'Rename an office or change its security', tag: 'Offices' },
  { method: 'delete', path: '/api/admin/offices/{id}', summary: 'Delete an office', tag: 'Offices' },
  { method: 'get', path: '/api/admin/offices/{id}/members', summary: 'List members', tag: 'Offices' },
  { method: 'put', path: '/api/admin/offices/{id}/members/{userId}', summary: 'Add a member', tag: 'Offices' },
  { method: 'delete', path: '/api/admin/offices/{id}/members/{userId}', summary: 'Remove a member', tag: 'Offices' },
  { method: 'get', path: '/api/admin/groups', summary: 'List groups', tag: 'Groups' },
  { method: 'post', path: '/api/admin/groups', summary: 'Create a group', body: named, tag: 'Groups' },
  { method: 'patch', path: '/api/admin/groups/{id}', summary: 'Rename a group', body: named, tag: 'Groups' },
  { method: 'delete', path: '/api/admin/groups/{id}', summary: 'Delete a group', tag: 'Groups' },
  { method: 'get', path: '/api/admin/groups/{id}/members', summary: 'List members', tag: 'Groups' },
  { method: 'put', path: '/api/admin/groups/{id}/members/{userId}', summary: 'Add a member', tag: 'Groups' },
  { method: 'delete', path: '/api/admin/groups/{id}/members/{userId}', summary: 'Remove a member', tag: 'Groups' },
  { method: 'get', path: '/api/admin/resources', summary: 'List resources', tag: 'Resources' },
  { method: 'post', path: '/api/admin/resources', summary: 'Create a resource', body: named, tag: 'Resources' },
  { method: 'patch', path: '/api/admin/resources/{id}', summary: 'Update a resource', tag: 'Resources' },
  { method: 'delete', path: '/api/admin/resources/{id}', summary: 'Delete a resource', tag: 'Resources' },
  { method: 'get', path: '/api/admin/resources/{id}/assignments', summary: 'List assigned users (kind=user|token_with_user)', tag: 'Resources' },
  { method: 'put', path: '/api/admin/resources/{id}/assignments', summary: 'Assign a user, optionally with their token', body: assignment, tag: 'Resources' },
  { method: 'delete', path: '/api/admin/resources/{id}/assignments/{userId}', summary: 'Unassign a user', tag: 'Resources' },
  { method: 'get', path: '/api/admin/tokens', summary: 'List tokens', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/software', summary: 'Create a software token (returns the QR code once)', body: createSoftwareTokenBody, tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/hardware', summary: 'Register a hardware token', body: createHardwareTokenBody, tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/message', summary: 'Create an SMS or email token bound to a phone number / email address', body: createMessageTokenBody, tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/import/csv', summary: 'Import tokens from CSV (serial, seed, type, digits, counter or period)', contentType: 'text/csv', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/import/pskc', summary: 'Import tokens from a PSKC (RFC 6030) file', contentType: 'application/xml', tag: 'Tokens' },
  { method: 'get', path: '/api/admin/tokens/{id}', summary: 'Get a token', tag: 'Tokens' },
  { method: 'patch', path: '/api/admin/tokens/{id}', summary: 'Enable/disable, describe or hand over a token', body: updateTokenBody, tag: 'Tokens' },
  { method: 'delete', path: '/api/admin/tokens/{id}', summary: 'Delete a token', tag: 'Tokens' },
  { method: 'put', path: '/api/admin/tokens/{id}/pin', summary: 'Set or remove the PIN', body: setPinBody, tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/{id}/reset-fail-counter', summary: 'Reset the fail counter and unlock', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/{id}/void', summary: 'Recovery code sets: void every unused code (all refused from then on) and disable the set; answers the token', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/{id}/send-code', summary: 'SMS/email tokens: send a code to check with /check (the user\'s own codes are untouched)', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/{id}/check', summary: 'Check an OTP (consumes it when valid)', body: checkOtpBody, tag: 'Tokens' },
  { method: 'get', path: '/api/admin/tokens/{id}/resources', summary: 'The resources a token opens (as their token, or through its owner)', tag: 'Tokens' },
  { method: 'post', path: '/api/admin/tokens/{id}/resync', summary: 'Resynchronise with two consecutive OTPs', body: resyncBody, tag: 'Tokens' },
  { method: 'get', path: '/api/admin/offices/{id}', summary: 'Get an office', tag: 'Offices' },
  { method: 'get', path: '/api/admin/groups/{id}', summary: 'Get a group', tag: 'Groups' },
  { method: 'get', path: '/api/admin/resources/{id}', summary: 'Get a resource with its self-service settings', tag: 'Resources' },
  { method: 'put', path: '/api/admin/resources/{id}/self-service', summary: 'Enable or disable the portal: alias, ordered actions, token types', tag: 'Self-service' },
  { method: 'get', path: '/api/admin/user-issues', summary: 'List open access recovery requests with their authenticators', tag: 'Self-service' },
  { method: 'get', path: '/api/admin/user-issues/count', summary: 'Number of open requests (the badge)', tag: 'Self-service' },
  { method: 'get', path: '/api/admin/user-issues/settings', summary: 'Whether administrators get an email about new requests', tag: 'Self-service' },
  { method: 'put', path: '/api/admin/user-issues/settings', summary: 'Switch the email about new requests on or off ({notifyByEmail})', tag: 'Self-service' },
  { method: 'post', path: '/api/admin/user-issues/{id}/approve', summary: 'Verify Identity: apply the request (disable lost tokens, set the new password/email)', tag: 'Self-service' },
  { method: 'delete', path: '/api/admin/user-issues/{id}', summary: 'Delete a request', tag: 'Self-service' },
  { method: 'get', path: '/api/admin/security', summary: 'Platform security settings (two-factor authentication)', tag: 'Security' },
  { method: 'put', path: '/api/admin/security', summary: 'Change the platform security settings', tag: 'Security' },
  { method: 'get', path: '/api/admin/messaging/settings', summary: 'SMS suppliers, email provider, templates and sending limits (secrets only as set/not set)', tag: 'Messaging' },
  { method: 'put', path: '/api/admin/messaging/settings', summary: 'Change any of sms, email, templates, limits (sections left out keep their values)', tag: 'Messaging' },
  { method: 'post', path: '/api/admin/messaging/templates/preview', summary: 'Render a template with sample values; unknown placeholders are reported', tag: 'Messaging' },
  { method: 'post', path: '/api/admin/messaging/test-message', summary: 'Send a test SMS or email with the saved settings', tag: 'Messaging' },
  { method: 'get', path: '/api/admin/messaging/outbox', summary: 'Messages kept by the local outbox provider, newest first (admin keys only: they hold live codes and links)', tag: 'Messaging' },
  { method: 'delete', path: '/api/admin/messaging/outbox', summary: 'Empty the outbox', tag: 'Messaging' },
  { method: 'get', path: '/api/admin/messaging/message-log', summary: 'Every send with its outcome (no message texts)', tag: 'Messaging' },
  { method: 'get', path: '/api/admin/activities', summary: 'User activities of the last 90 days, newest first (user, type, page; format=csv exports every row of the filter)', tag: 'Activities' },
  { method: 'get', path: '/api/admin/activities/grouped', summary: 'Per user, each activity with its count (last 90 days; format=csv)', tag: 'Activities' },
  { method: 'get', path: '/api/admin/audit', summary: 'Admin audit trail, newest first (admin, objectType, object, action, from, to; keyset paging: cursor, pageSize)', tag: 'Activities' },
  { method: 'get', path: '/api/admin/audit/export', summary: 'Every audit row of the filter as a streamed CSV', tag: 'Activities' },
  { method: 'get', path: '/api/admin/saml', summary: 'Saved and active SAML configuration, the YAML to edit, its schema and docs, the SP addresses', tag: 'SAML' },
  { method: 'put', path: '/api/admin/saml', summary: 'Validate and save a new version ({yaml, allowSignIn}); sign-in is unchanged until apply', tag: 'SAML' },
  { method: 'post', path: '/api/admin/saml/validate', summary: 'Validate YAML; problems with line and column', tag: 'SAML' },
  { method: 'post', path: '/api/admin/saml/apply', summary: 'Make a saved version (default the latest) the active one', tag: 'SAML' },
  { method: 'post', path: '/api/admin/saml/import-metadata', summary: 'Read entityId, SSO URL and certificate from IdP metadata and merge them into the YAML', tag: 'SAML' },
  { method: 'get', path: '/api/admin/sign-in-script', summary: 'The sign-in script, its versions, policy and kill switch', tag: 'Sign-in script' },
  { method: 'put', path: '/api/admin/sign-in-script', summary: 'Check and save a new version ({source, onError})', tag: 'Sign-in script' },
  { method: 'delete', path: '/api/admin/sign-in-script', summary: 'Delete the script (versions stay)', tag: 'Sign-in script' },
  { method: 'put', path: '/api/admin/sign-in-script/enabled', summary: 'Kill switch ({enabled})', tag: 'Sign-in script' },
  { method: 'get', path: '/api/admin/sign-in-script/actions', summary: 'The action catalogue with parameters and documentation', tag: 'Sign-in script' },
  { method: 'get', path: '/api/admin/sign-in-script/user-fields', summary: 'System names of the user fields scripts may read and write', tag: 'Sign-in script' },
  { method: 'post', path: '/api/admin/sign-in-script/check', summary: 'Check a script; problems with code, line and column', tag: 'Sign-in script' },
  { method: 'post', path: '/api/admin/sign-in-script/test-run', summary: 'Dry run on sample claims or a user: trace and effects, nothing changed', tag: 'Sign-in script' },
  { method: 'get', path: '/api/admin/sign-in-script/versions/{version}', summary: 'One saved version', tag: 'Sign-in script' },
  { method: 'post', path: '/api/admin/sign-in-script/versions/{version}/restore', summary: 'Save an old version again as the newest', tag: 'Sign-in script' },
  { method: 'get', path: '/api/admin/openapi.json', summary: 'This document', tag: 'Meta' },
  { method: 'get', path: '/api/admin/api-keys', summary: 'List API keys: scope, owner (ownerUserId, ownerLogin), created, last used, expiry, status (active, revoked, expired, owner_inactive)', tag: 'API keys' },
  {
    method: 'post',
    path: '/api/admin/api-keys',
    summary: 'Create an API key (shown once) with a scope: verify (only /api/v1/verify), read (admin API GET only) or admin (all; only from an admin session). Owned by the creating admin; refused once that admin is disabled, demoted or deleted, or after expiresAt',
    body: createApiKeyBody,
    tag: 'API keys',
  },
  { method: 'delete', path: '/api/admin/api-keys/{id}', summary: 'Revoke an API key', tag: 'API keys' },
  { method: 'post', path: '/api/v1/verify', summary: 'Verify an OTP (with PIN) or a recovery code for a user on a resource; a refusal names its reason (README), FACTOR_NOT_SUPPORTED when the user\'s only factor there is a passkey', body: verifyBody, tag: 'Verify', security: 'apiKey' },
];

export function openApiDocument(origin: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: name === 'version' ? { type: 'integer', minimum: 1 } : { type: 'string', format: 'uuid' },
    }));
    const requestBody = op.body
      ? { required: true, content: { 'application/json': { schema: z.toJSONSchema(op.body, { io: 'input' }) } } }
      : op.contentType
        ? { required: true, content: { [op.contentType]: { schema: { type: 'string' } } } }
        : undefined;
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      parameters: parameters.length ? parameters : undefined,
      requestBody,
      security: op.security === 'apiKey' ? [{ apiKey: [] }] : [{ apiKey: [] }, { session: [] }],
      responses: {
        '2XX': { description: 'Success' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Edge Identity API', version: '1.0.0' },
    servers: [{ url: origin }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key created in the admin center. Its scope limits it: verify keys only call /api/v1/verify, read keys only GET the admin API, admin keys do everything (FORBIDDEN otherwise). It works while its owner is an enabled administrator and until it expires or is revoked.',
        },
        session: { type: 'apiKey', in: 'cookie', name: '__Host-eid_session', description: 'Admin session; state changes need the X-CSRF-Token header' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
    },
  };
}
