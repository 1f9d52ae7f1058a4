/**
 * The one way pages load Monaco: its own texts ("No suggestions.", the find widget, the context menu) come in the
 * page's language. Monaco's ESM build reads them from a global table (`_VSCODE_NLS_MESSAGES`) when its modules are
 * evaluated (many are static fields), so the German table (monaco-editor/esm/vs/nls/lang/de.js, built with the same
 * message numbering) must be in place before the first Monaco module runs; English is the built-in fallback.
 * Monaco keeps the language it was loaded in until the page is reloaded.
 */
import { currentLanguage } from '../../lib/i18n';

let localeLoaded: Promise<unknown> | null = null;

function loadMonacoLocale(): Promise<unknown> {
  localeLoaded ??= currentLanguage() === 'de' ? import('monaco-editor/esm/vs/nls/lang/de.js') : Promise.resolve();
  return localeLoaded;
}

export async function loadMonaco() {
  await loadMonacoLocale();
  return import('./monaco');
}

export async function loadYamlEditor() {
  await loadMonacoLocale();
  return import('./yaml-editor');
}
