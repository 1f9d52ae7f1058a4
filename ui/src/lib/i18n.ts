/**
 * German and English. Each surface keeps its own dictionary next to its pages (so the sign-in page does not carry
 * the admin center's strings); this module holds the language choice, the shared words and the translated error
 * codes. Server errors carry a stable code: known codes are shown in the user's language, unknown ones with the
 * server's (English) message.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Language } from '../../../worker/contract/language';
import { ApiError } from './api';
import { describeFieldIssue, ERROR_TEXTS, isShownErrorCode } from './error-texts';

export type { Language };
export { LANGUAGE_ENDONYMS, LANGUAGE_NAMES } from './language-names';
export type Dictionary = Record<string, string>;
export type Dictionaries = Record<Language, Dictionary>;

const STORAGE_KEY = 'eid.language';
const listeners = new Set<() => void>();

/** Whether the person chose a language on this device (the choice wins over the account's setting). */
export function hasChosenLanguage(): boolean {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'de' || stored === 'en';
}

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'de' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('de') ? 'de' : 'en';
}

let language: Language = initialLanguage();
document.documentElement.lang = language;

export function currentLanguage(): Language {
  return language;
}

export function setLanguage(next: Language, options: { remember?: boolean } = { remember: true }): void {
  if (options.remember) localStorage.setItem(STORAGE_KEY, next);
  if (next === language) return;
  language = next;
  document.documentElement.lang = next;
  listeners.forEach((listener) => listener());
}

/** Re-renders the calling component when the language changes. */
export function useLanguage(): Language {
  const [value, setValue] = useState(language);
  useEffect(() => {
    const listener = () => setValue(language);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return value;
}

/** `t('key', { name: 'Ada' })` replaces `{name}`; a missing key shows itself, which tests and reviewers notice. */
export function translator(dictionaries: Dictionaries) {
  return (key: string, values?: Record<string, string | number>): string => {
    const text = dictionaries[language][key] ?? dictionaries.en[key] ?? key;
    return values ? text.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match)) : text;
  };
}

export function useTranslator(dictionaries: Dictionaries) {
  useLanguage();
  return translator(dictionaries);
}

/** The message to show for a failed call, in the current language (texts: error-texts.ts). */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // A refused field in the page's language: never the server's English "path: rule", in either language.
    const [issue] = error.fieldIssues;
    if (issue) return describeFieldIssue(issue, language);
    if (error.code === 'VALIDATION_FAILED') return ERROR_TEXTS[language].VALIDATION_FAILED;
    // English keeps the server's own message, which may be more specific than the catalogue's (it names the value).
    if (language === 'de' && isShownErrorCode(error.code)) return ERROR_TEXTS.de[error.code];
    return error.message;
  }
  return language === 'de' ? 'Unerwarteter Fehler.' : 'Unexpected error.';
}

/** The day alone, for dates whose time says nothing (an API key expires at the end of its day). */
export function formatDate(ms: number | null | undefined): string {
  if (!ms) return '';
  return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium' }).format(ms);
}

export function formatDateTime(ms: number | null | undefined): string {
  if (!ms) return '';
  return new Intl.DateTimeFormat(language === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium' }).format(ms);
}
