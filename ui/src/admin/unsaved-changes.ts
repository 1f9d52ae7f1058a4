/**
 * The admin forms' guard against losing edits: while a form is dirty, leaving the page asks in the in-app dialog
 * (the browser's own prompt covers closing or reloading the tab; see useLeaveGuard).
 */
import { confirmDialog } from '../components/dialog';
import { translator, type Dictionaries } from '../lib/i18n';
import { useLeaveGuard } from '../lib/router';

const unsavedChangesStrings: Dictionaries = {
  en: {
    unsavedTitle: 'Leave without saving?',
    unsavedText: 'The changes on this page are not saved yet.',
    leave: 'Leave',
  },
  de: {
    unsavedTitle: 'Ohne Speichern verlassen?',
    unsavedText: 'Die Änderungen auf dieser Seite sind noch nicht gespeichert.',
    leave: 'Verlassen',
  },
};

/** Module-level, so every render passes the same function and the guard is not re-registered; the text is in
 * the language shown when the user leaves. Also asked by a page's own Close while it holds edits. */
export function askToLeave(): Promise<boolean> {
  const t = translator(unsavedChangesStrings);
  return confirmDialog({ title: t('unsavedTitle'), text: t('unsavedText'), confirmLabel: t('leave'), danger: true });
}

export function useUnsavedChangesGuard(dirty: boolean): void {
  useLeaveGuard(dirty, askToLeave);
}
