/**
 * monaco-yaml's language worker, speaking the page's language: the page names it `yaml-<language>` when it starts
 * it (monaco.ts), and for German the worker's own words in hovers and completions ("Example:", "Default value")
 * come from our catalogue. @vscode/l10n looks a text up when it is used, so configuring it after the worker module
 * has loaded (imports run first) still reaches every hover.
 */
import { config } from '@vscode/l10n';
import 'monaco-yaml/yaml.worker.js';
import { YAML_WORKER_MESSAGES_DE } from './yaml-worker-messages';

if (self.name === 'yaml-de') config({ contents: YAML_WORKER_MESSAGES_DE });
