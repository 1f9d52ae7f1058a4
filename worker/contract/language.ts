/** The languages the product speaks, on both sides: users' setting, message templates, the pages' dictionaries. */
export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
