/**
 * The words monaco-yaml's language worker (yaml-language-server) puts into the hovers and completions the designers
 * show, in German, keyed by the worker's English text as @vscode/l10n looks it up. The validation messages are
 * not here: the designers show the server's own checker instead (monaco.ts turns validation off).
 */
export const YAML_WORKER_MESSAGES_DE: Record<string, string> = {
  'Allowed Values:': 'Erlaubte Werte:',
  'Example:': 'Beispiel:',
  'Source: [{0}]({1})': 'Quelle: [{0}]({1})',
  'Default value': 'Standardwert',
  '- (array item) ': '- (Listeneintrag) ',
  'Create an item of an array{0}{1}': 'Einen Listeneintrag anlegen{0}{1}',
  'Inline schema': 'Eingebettetes Schema',
};
