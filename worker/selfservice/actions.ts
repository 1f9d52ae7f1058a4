/** The self-service actions, token types and alias rules are shared with the UI: see worker/contract/. */
export { ALIAS_PATTERN, RESERVED_ALIASES, SELF_SERVICE_ACTIONS, type SelfServiceAction } from '../contract/selfservice';
export { CODE_ENROLMENT_TOKEN_TYPES, SELF_SERVICE_TOKEN_TYPES, type SelfServiceTokenType } from '../contract/tokens';
