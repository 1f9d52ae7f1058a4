/**
 * The one way pages load Monaco: its own texts ("No suggestions.", the find widget, hover and suggest details) come
 * in the page's language, also after the admin switches it in the account menu. Monaco's ESM build looks each text
 * up in a global table (`_VSCODE_NLS_MESSAGES`, German: monaco-editor/esm/vs/nls/lang/de.js, built with the same
 * message numbering) when it is needed, and falls back to the English text built into each call when there is no
 * table. So the table for the page's language is put in place before the first Monaco module runs, and swapped on
 * a switch. The few modules that look their texts up once, as they are evaluated (the find widget, the suggest
 * widget's messages), are rewritten at build time to repeat those lookups on request (ui/vite.config.ts), and the
 * editor is re-created on the same model (yaml-editor.tsx), so the widgets an editor builds once are built again in
 * the new language. Still in the language the page was loaded in, until a reload: the labels of the right-click
 * menu's commands (each command is registered with its label when its module is evaluated).
 */
import { currentLanguage, type Language } from '../../lib/i18n';

declare global {
  var _VSCODE_NLS_MESSAGES: string[] | undefined;
  /** Filled by the rewritten Monaco modules (ui/vite.config.ts): each repeats the lookups its module made once. */
  var __monacoTextsAgain: Array<() => void> | undefined;
}

let germanTexts: Promise<string[] | undefined> | null = null;
/** The language of the table in place; before Monaco's first load none is, and nothing has looked a text up. */
let textsLanguage: Language | null = null;

function loadGermanTexts(): Promise<string[] | undefined> {
  // The module sets the global table as it is evaluated (once); keep it to put back after a switch to English.
  germanTexts ??= import('monaco-editor/esm/vs/nls/lang/de.js').then(() => globalThis._VSCODE_NLS_MESSAGES);
  return germanTexts;
}

/** Puts Monaco's table for `language` in place: German from its module, English as Monaco's built-in fallback. */
export async function setMonacoTexts(language: Language): Promise<void> {
  const german = language === 'de' ? await loadGermanTexts() : undefined;
  // A later switch may have finished first while the German module loaded: the page's language decides.
  if (currentLanguage() !== language || textsLanguage === language) return;
  globalThis._VSCODE_NLS_MESSAGES = german;
  textsLanguage = language;
  globalThis.__monacoTextsAgain?.forEach((lookUpAgain) => lookUpAgain());
}

export async function loadMonaco() {
  await setMonacoTexts(currentLanguage());
  return import('./monaco');
}

export async function loadYamlEditor() {
  await setMonacoTexts(currentLanguage());
  return import('./yaml-editor');
}
