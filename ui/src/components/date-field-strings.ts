/** The date field's texts (their own module, free of the browser's globals, so the language tests can read them in Node). */
import type { Dictionaries } from '../lib/i18n';

export const dateFieldStrings: Dictionaries = {
  en: {
    dateFormat: 'YYYY-MM-DD',
    dateTimeFormat: 'YYYY-MM-DD HH:MM',
    dateHint: 'As YYYY-MM-DD (or DD.MM.YYYY).',
    dateTimeHint: 'As YYYY-MM-DD, optionally with a time HH:MM (or DD.MM.YYYY).',
    dateInvalid: 'Not a date in the form YYYY-MM-DD.',
    dateTimeInvalid: 'Not a date in the form YYYY-MM-DD, with an optional time HH:MM.',
  },
  de: {
    dateFormat: 'TT.MM.JJJJ',
    dateTimeFormat: 'TT.MM.JJJJ HH:MM',
    dateHint: 'Als TT.MM.JJJJ.',
    dateTimeHint: 'Als TT.MM.JJJJ, optional mit Uhrzeit HH:MM.',
    dateInvalid: 'Kein Datum der Form TT.MM.JJJJ.',
    dateTimeInvalid: 'Kein Datum der Form TT.MM.JJJJ mit optionaler Uhrzeit HH:MM.',
  },
};
