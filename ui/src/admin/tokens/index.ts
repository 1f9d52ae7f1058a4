/** The admin token pages: the list with its create and import dialogs, and a token's detail page. */
export { TokensPage } from './tokens-list';
export { TokenDetailPage } from './token-detail';
export { QrCode, TokenStatus } from './token-status';
