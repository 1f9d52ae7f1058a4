/**
 * Monaco, trimmed to what the YAML designers use: the editor core, hover, suggestions, folding, find, marker
 * navigation, the YAML tokenizer and monaco-yaml's schema-driven language worker. Loaded only by the designer
 * pages (a lazy chunk); the whole monaco-editor package would be about three times larger.
 *
 * monaco-yaml 5 calls `monaco.editor.createWebWorker` without a `worker`, which monaco-editor >= 0.53 requires
 * (upstream issue remcohaszing/monaco-yaml#272): we hand monaco-yaml a view of monaco whose createWebWorker
 * supplies the YAML worker. The Vite alias for `monaco-editor/esm/vs/*` (ui/vite.config.ts) makes the paths that
 * monaco-yaml's worker imports resolve under monaco-editor's export map. The worker starts through our entry
 * (yaml-worker.ts), which gives its hover and completion labels the page's language.
 */
import * as monaco from 'monaco-editor/esm/vs/editor/editor.api.js';
import 'monaco-editor/esm/vs/editor/browser/coreCommands.js';
import 'monaco-editor/esm/vs/editor/contrib/hover/browser/hoverContribution.js';
import 'monaco-editor/esm/vs/editor/contrib/suggest/browser/suggestController.js';
import 'monaco-editor/esm/vs/editor/contrib/snippet/browser/snippetController2.js';
import 'monaco-editor/esm/vs/editor/contrib/folding/browser/folding.js';
import 'monaco-editor/esm/vs/editor/contrib/find/browser/findController.js';
import 'monaco-editor/esm/vs/editor/contrib/gotoError/browser/gotoError.js';
import 'monaco-editor/esm/vs/editor/contrib/comment/browser/comment.js';
import 'monaco-editor/esm/vs/editor/contrib/bracketMatching/browser/bracketMatching.js';
import 'monaco-editor/esm/vs/editor/contrib/indentation/browser/indentation.js';
import 'monaco-editor/esm/vs/editor/contrib/wordHighlighter/browser/wordHighlighter.js';
import 'monaco-editor/esm/vs/editor/contrib/clipboard/browser/clipboard.js';
import 'monaco-editor/esm/vs/editor/contrib/contextmenu/browser/contextmenu.js';
import 'monaco-editor/esm/vs/base/browser/ui/codicons/codicon/codicon.css';
import 'monaco-editor/esm/vs/base/browser/ui/codicons/codicon/codicon-modifiers.css';
import 'monaco-editor/esm/vs/languages/definitions/yaml/register.js';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker.js?worker';
import { configureMonacoYaml, type MonacoYaml, type SchemasSettings } from 'monaco-yaml';
import YamlWorker from './yaml-worker.ts?worker';
import { currentLanguage, type Language } from '../../lib/i18n';

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker };
  }
}

window.MonacoEnvironment = {
  getWorker: (_workerId, label) => (label === 'yaml' ? newYamlWorker() : new EditorWorker()),
};

type CreateWebWorker = typeof monaco.editor.createWebWorker;
/** What monaco-worker-manager passes (the pre-0.53 options): no worker, but the data to start one with. */
type LegacyWorkerOptions = Parameters<CreateWebWorker>[0] & { createData?: unknown };
const monacoForYaml = {
  ...monaco,
  editor: {
    ...monaco.editor,
    createWebWorker: ((options: LegacyWorkerOptions) =>
      monaco.editor.createWebWorker({ ...options, worker: options.worker ?? startYamlWorker(options.createData) })) as CreateWebWorker,
  },
};

/**
 * monaco-yaml's worker (monaco-worker-manager) still speaks the older start-up protocol: a first message makes it
 * listen, the second carries the createData (the schemas and options) and starts the language service. monaco-editor
 * >= 0.53 no longer sends these for a worker it is handed, so we do; without them the worker never answers and
 * completion shows "Loading..." forever.
 */
function startYamlWorker(createData: unknown): Worker {
  const worker = newYamlWorker();
  worker.postMessage('start');
  worker.postMessage(createData);
  return worker;
}

/** Named by the page's language: the worker's own hover and completion words follow it (yaml-worker.ts). */
const newYamlWorker = () => new YamlWorker({ name: `yaml-${yamlLanguage}` });

let yaml: MonacoYaml | null = null;
/** The language the running YAML worker speaks; another language starts a new one. */
let yamlLanguage: Language = currentLanguage();

/**
 * Registers (or replaces) the JSON schemas monaco-yaml completes and explains keys from. It does not validate:
 * the designers show the server's validator's markers as you type, so each problem is marked once, by the rule
 * that decides, at the line the server names (monaco-yaml marks a YAML syntax error where its parser gave up).
 */
export function setYamlSchemas(schemas: SchemasSettings[]): void {
  // No "Source: <schema file>" under each hover: the file is our internal URI, nothing an admin can open.
  const options = { enableSchemaRequest: false, hover: true, hoverSchemaSource: false, completion: true, validate: false, schemas };
  if (yaml && yamlLanguage === currentLanguage()) {
    void yaml.update(options);
    return;
  }
  yaml?.dispose();
  yamlLanguage = currentLanguage();
  yaml = configureMonacoYaml(monacoForYaml as unknown as typeof monaco, options);
}

export { monaco };
