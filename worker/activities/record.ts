/**
 * Security activity log. Every sign-in path records here (/login, portal, SAML, verify API); the admin center's
 * "User Activities" reads it. Public activity names are the product's, spelled as they are. The statements are
 * in repo.ts; this is the writer's name the sign-in paths import.
 */
export { activityOfUserStatement, activityStatement, activityStatementIf, activityStatementOnce, recordActivity, type ActivityInput } from './repo';
