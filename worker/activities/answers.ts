/** What /api/admin/activities answers as JSON, field by field (see lib/answers.ts). */
import { z } from 'zod';
import { USER_ACTIVITY_TYPES } from '../db/schema';
import { answerOf, epochMs, pageOf } from '../lib/answers';
import type { Page } from '../lib/paging';
import type { ActivityView, GroupedActivityView } from './service';

export const activityAnswer = answerOf<ActivityView>()(
  z
    .object({
      id: z.string(),
      userId: z.string().nullable(),
      login: z.string().nullable().describe('As typed, also when no user has it'),
      type: z.enum(USER_ACTIVITY_TYPES),
      channel: z.string().describe('Where it happened: the admin center, a portal, the verify API, ...'),
      ip: z.string().nullable(),
      client: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
      at: epochMs(),
    })
    .openapi('UserActivity'),
);

export const activityPageAnswer = answerOf<Page<ActivityView>>()(pageOf(activityAnswer));

export const groupedActivityPageAnswer = answerOf<Page<GroupedActivityView>>()(
  pageOf(
    z
      .object({
        userId: z.string().nullable(),
        login: z.string().nullable(),
        counts: z.partialRecord(z.enum(USER_ACTIVITY_TYPES), z.number().int()).describe('How often each type happened'),
        total: z.number().int(),
        lastAt: epochMs(),
      })
      .openapi('GroupedUserActivities'),
  ),
);
