/** Admin API: /api/admin/activities — tab "Detailed", tab "Grouped", and CSV export of what is shown. */
import { Hono } from 'hono';
import { z } from 'zod';
import { USER_ACTIVITY_TYPES } from '../db/schema';
import type { AppBindings } from '../env';
import { fields, parseQuery } from '../lib/validate';
import { activitiesToCsv, groupActivities, groupedToCsv, listActivities } from './service';

const filterQuery = z.object({
  user: z.string().trim().max(128).optional(),
  type: z.enum(USER_ACTIVITY_TYPES).optional(),
  page: fields.page,
  pageSize: fields.pageSize,
  format: z.enum(['json', 'csv']).default('json'),
});

const csv = (body: string, name: string) =>
  new Response(body, { headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` } });

export const activityAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => {
    const query = parseQuery(c, filterQuery);
    const page = await listActivities(c.env.DB, query, c.var.now);
    return query.format === 'csv' ? csv(activitiesToCsv(page.items), 'user-activities.csv') : c.json(page);
  })
  .get('/grouped', async (c) => {
    const query = parseQuery(c, filterQuery);
    const page = await groupActivities(c.env.DB, query, c.var.now);
    return query.format === 'csv' ? csv(groupedToCsv(page.items, USER_ACTIVITY_TYPES), 'user-activities-grouped.csv') : c.json(page);
  });
