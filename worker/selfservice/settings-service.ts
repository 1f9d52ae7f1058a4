/** Admin side of the portal: enable it for a resource under an alias, choose and order its actions. */
import type { Audit } from '../audit/record';
import { AppError } from '../errors';
import { isUniqueViolation } from '../lib/d1-errors';
import { fieldRefusal } from '../lib/validate';
import { getResource, type ResourceView } from '../resources/service';
import type { SelfServiceAction, SelfServiceTokenType } from './actions';
import { savePortalSettingsStatement } from './repo';

export interface PortalSettingsInput {
  enabled: boolean;
  alias: string | null;
  actions: SelfServiceAction[];
  tokenTypes: SelfServiceTokenType[];
}

export async function savePortalSettings(db: D1Database, resourceId: string, input: PortalSettingsInput, audit: Audit): Promise<ResourceView> {
  if (input.enabled && !input.alias) throw fieldRefusal('alias', 'REQUIRED', 'an enabled portal needs an alias.');
  if (new Set(input.actions).size !== input.actions.length) throw fieldRefusal('actions', 'DUPLICATE_ENTRY', 'each action may appear once.');
  if (input.actions.includes('registerNewToken') && input.tokenTypes.length === 0) {
    throw fieldRefusal('tokenTypes', 'too_small', 'choose the token types users may register.', { minimum: 1, origin: 'array' });
  }
  const before = await getResource(db, resourceId);
  const tokenTypes = [...new Set(input.tokenTypes)];
  try {
    const [result] = await db.batch([
      savePortalSettingsStatement(db, resourceId, {
        selfServiceEnabled: input.enabled,
        selfServiceAlias: input.alias,
        selfServiceActions: JSON.stringify(input.actions),
        selfServiceTokenTypes: JSON.stringify(tokenTypes),
      }),
      audit({
        action: 'update',
        objectType: 'self_service',
        objectId: resourceId,
        objectName: before.name,
        before: before.selfService,
        after: { enabled: input.enabled, alias: input.alias, actions: input.actions, tokenTypes },
      }),
    ]);
    if (result!.meta.changes === 0) throw new AppError('RESOURCE_NOT_FOUND');
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('ALIAS_TAKEN');
    throw error;
  }
  return getResource(db, resourceId);
}
