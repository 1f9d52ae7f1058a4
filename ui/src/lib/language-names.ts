/** The languages' names (a module without side effects, so the string catalogues that use it load in Node too). */
import type { Language } from '../../../worker/contract/language';

/** A language's name in its own language: where a person picks one (a switch, a choice), each is said as its speakers say it. */
export const LANGUAGE_ENDONYMS: Record<Language, string> = { de: 'Deutsch', en: 'English' };

/** A language's name as a value shown on a page ("Language: German"), in the page's language. */
export const LANGUAGE_NAMES: Record<Language, Record<Language, string>> = {
  en: { de: 'German', en: 'English' },
  de: { de: 'Deutsch', en: 'Englisch' },
};
