/** Admin API: /api/admin/user-issues — access recovery requests ("User Issues" in the account menu). */
import { Hono } from 'hono';
import { z } from 'zod';
import { auditOf } from '../audit/record';
import { currentUserId } from '../auth/middleware';
import type { AppBindings } from '../env';
import { fields, parse, parseJsonBody } from '../lib/validate';
import { isIssueNotificationOn, setIssueNotification } from './issue-notifications';
import { approveUserIssue, countOpenUserIssues, deleteUserIssue, listUserIssues } from './recovery-service';

const idParam = z.object({ id: fields.id });

export const userIssueAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => c.json({ items: await listUserIssues(c.env.DB) }))
  // The in-app badge polls this.
  .get('/count', async (c) => c.json({ open: await countOpenUserIssues(c.env.DB) }))
  // Email administrators about new requests (the badge is always on).
  .get('/settings', async (c) => c.json({ notifyByEmail: await isIssueNotificationOn(c.env.DB) }))
  .put('/settings', async (c) => {
    const { notifyByEmail } = await parseJsonBody(c, z.strictObject({ notifyByEmail: z.boolean() }));
    await setIssueNotification(c.env.DB, notifyByEmail, c.var.now, auditOf(c));
    return c.json({ notifyByEmail });
  })
  .post('/:id/approve', async (c) => {
    await approveUserIssue(c.env.DB, parse(idParam, c.req.param()).id, currentUserId(c), c.var.now, auditOf(c));
    return c.body(null, 204);
  })
  .delete('/:id', async (c) => {
    await deleteUserIssue(c.env.DB, parse(idParam, c.req.param()).id, auditOf(c));
    return c.body(null, 204);
  });
