/** Admin API: /api/admin/activities — tab "Detailed", tab "Grouped", and the CSV export of every row of the filter. */
import { Hono } from 'hono';
import { z } from 'zod';
import { USER_ACTIVITY_TYPES } from '../db/schema';
import type { AppBindings } from '../env';
import { fields, parseQuery } from '../lib/validate';
import { csvResponse } from '../lib/csv';
import { activitiesCsvStream, groupActivities, groupedCsvStream, listActivities } from './service';

const filterQuery = z.object({
  user: z.string().trim().max(128).optional(),
  type: z.enum(USER_ACTIVITY_TYPES).optional(),
  page: fields.page,
  pageSize: fields.pageSize,
  format: z.enum(['json', 'csv']).default('json'),
});

export const activityAdminRoutes = new Hono<AppBindings>()
  .get('/', async (c) => {
    const query = parseQuery(c, filterQuery);
    // The export is every row of the filter, streamed; the page is only what the table shows.
    if (query.format === 'csv') return csvResponse(activitiesCsvStream(c.env.DB, query, c.var.now), 'user-activities.csv');
    return c.json(await listActivities(c.env.DB, query, c.var.now));
  })
  .get('/grouped', async (c) => {
    const query = parseQuery(c, filterQuery);
    if (query.format === 'csv') return csvResponse(groupedCsvStream(c.env.DB, query, USER_ACTIVITY_TYPES, c.var.now), 'user-activities-grouped.csv');
    return c.json(await groupActivities(c.env.DB, query, c.var.now));
  });
