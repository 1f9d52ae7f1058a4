/** Admin API: /api/admin/user-issues — access recovery requests ("User Issues" in the account menu). */
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { currentUserId } from '../auth/middleware';
import { apiRouter, idParams, json, jsonBody, noContent, route } from '../lib/api-router';
import { userIssuesAnswer } from './admin-issue-answers';
import { isIssueNotificationOn, setIssueNotification } from './issue-notifications';
import { approveUserIssue, countOpenUserIssues, deleteUserIssue, listUserIssues } from './recovery-service';

const notificationSettings = z.strictObject({ notifyByEmail: z.boolean() });
const tags = ['Self-service'];

export const userIssueAdminRoutes = apiRouter()
  .openapi(
    route({ method: 'get', path: '/', tags, summary: 'List open access recovery requests with their authenticators', responses: { 200: json(userIssuesAnswer, 'The open requests') } }),
    async (c) => c.json({ items: await listUserIssues(c.env.DB) }, 200),
  )
  // The in-app badge polls this.
  .openapi(
    route({ method: 'get', path: '/count', tags, summary: 'Number of open requests (the badge)', responses: { 200: json(z.object({ open: z.number().int() }), 'The count') } }),
    async (c) => c.json({ open: await countOpenUserIssues(c.env.DB) }, 200),
  )
  // Email administrators about new requests (the badge is always on).
  .openapi(
    route({ method: 'get', path: '/settings', tags, summary: 'Whether administrators get an email about new requests', responses: { 200: json(notificationSettings, 'The setting') } }),
    async (c) => c.json({ notifyByEmail: await isIssueNotificationOn(c.env.DB) }, 200),
  )
  .openapi(
    route({
      method: 'put',
      path: '/settings',
      tags,
      summary: 'Switch the email about new requests on or off',
      request: { body: jsonBody(notificationSettings) },
      responses: { 200: json(notificationSettings, 'The setting as saved') },
    }),
    async (c) => {
      const { notifyByEmail } = c.req.valid('json');
      await setIssueNotification(c.env.DB, notifyByEmail, c.var.now, auditOf(c));
      return c.json({ notifyByEmail }, 200);
    },
  )
  .openapi(
    route({
      method: 'post',
      path: '/{id}/approve',
      tags,
      summary: 'Verify Identity: apply the request (disable lost tokens, set the new password/email)',
      request: { params: idParams },
      responses: noContent,
    }),
    async (c) => {
      await approveUserIssue(c.env.DB, c.req.valid('param').id, currentUserId(c), c.var.now, auditOf(c));
      return c.body(null, 204);
    },
  )
  .openapi(route({ method: 'delete', path: '/{id}', tags, summary: 'Delete a request', request: { params: idParams }, responses: noContent }), async (c) => {
    await deleteUserIssue(c.env.DB, c.req.valid('param').id, auditOf(c));
    return c.body(null, 204);
  });
