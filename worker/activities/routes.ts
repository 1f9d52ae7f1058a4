/** Admin API: /api/admin/activities — tab "Detailed", tab "Grouped", and the CSV export of every row of the filter. */
import { z } from 'zod';
import { USER_ACTIVITY_TYPES } from '../db/schema';
import { apiRouter, jsonOrCsv, route } from '../lib/api-router';
import { activityPageAnswer, groupedActivityPageAnswer } from './answers';
import { csvResponse } from '../lib/csv';
import { fields } from '../lib/validate';
import { activitiesCsvStream, groupActivities, groupedCsvStream, listActivities } from './service';

const filterQuery = z.object({
  user: z.string().trim().max(128).optional(),
  type: z.enum(USER_ACTIVITY_TYPES).optional(),
  page: fields.page,
  pageSize: fields.pageSize,
  format: z.enum(['json', 'csv']).default('json'),
});

const tags = ['Activities'];

export const activityAdminRoutes = apiRouter()
  .openapi(
    route({
      method: 'get',
      path: '/',
      tags,
      summary: 'User activities of the last 90 days, newest first (user, type, page; format=csv exports every row of the filter)',
      request: { query: filterQuery },
      responses: { 200: jsonOrCsv(activityPageAnswer, 'One page of activities, or every row of the filter as CSV') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      // The export is every row of the filter, streamed; the page is only what the table shows.
      if (query.format === 'csv') return csvResponse(activitiesCsvStream(c.env.DB, query, c.var.now), 'user-activities.csv');
      return c.json(await listActivities(c.env.DB, query, c.var.now), 200);
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/grouped',
      tags,
      summary: 'Per user, each activity with its count (last 90 days; format=csv)',
      request: { query: filterQuery },
      responses: { 200: jsonOrCsv(groupedActivityPageAnswer, 'Activities grouped per user') },
    }),
    async (c) => {
      const query = c.req.valid('query');
      if (query.format === 'csv') return csvResponse(groupedCsvStream(c.env.DB, query, USER_ACTIVITY_TYPES, c.var.now), 'user-activities-grouped.csv');
      return c.json(await groupActivities(c.env.DB, query, c.var.now), 200);
    },
  );
