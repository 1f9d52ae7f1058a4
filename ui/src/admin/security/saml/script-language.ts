/**
 * The Script Designer's completion and hover in Monaco, driven by where the cursor is (script-context.ts) and by
 * the engine's action declarations (documentation in the page's language):
 *   where an action goes      the action names, inserting the action with its required parameters;
 *   inside an action          that action's parameters not written yet;
 *   at a parameter's value    `{ var: … }` with the context variables and the script's own variables, nested
 *                             actions that give a value, true/false for a boolean, the user's field names for
 *                             `field` of GetValue/SetValue on Context.User, workspace/group names inserting ids.
 * Completion opened by a trigger character (the space after `- ` or `key:`) preselects nothing, so a plain Enter
 * stays a line break; nothing is offered right after `actions:` (the list goes on the next line).
 */
import type { InferResponseType } from 'hono/client';
import { adminApi, answer } from '../../../lib/api-client';
import { currentLanguage, translator, type Dictionaries, type Language } from '../../../lib/i18n';
import type { monaco as Monaco } from '../../monaco/monaco';
import { contextAt, isContextUser, scriptVariables, type CursorContext } from './script-context';

type MonacoApi = typeof Monaco;

type ScriptCatalogue = InferResponseType<(typeof adminApi)['sign-in-script']['actions']['$get'], 200>;
type ScriptUserFields = InferResponseType<(typeof adminApi)['sign-in-script']['user-fields']['$get'], 200>;

/** An action as GET /sign-in-script/actions declares it (name, parameters, documentation in both languages). */
export type ActionDoc = ScriptCatalogue['items'][number];

/** The two catalogue answers together: the actions, context variables and type names, and the user's fields. */
export type DesignerCatalogue = Omit<ScriptCatalogue, 'items'> & { actions: ActionDoc[]; userFields: ScriptUserFields['items'] };

const strings: Dictionaries = {
  en: {
    alsoNamed: 'also {names}',
    optional: 'optional',
    required: 'required',
    result: 'Result: {type}',
    variable: 'Variable of the script',
    contextVariable: 'Context variable',
    userField: 'Field of Context.User ({type})',
    readOnly: 'read-only',
    office: 'Workspace (office) {id}',
    group: 'Group {id}',
    topLevel: 'Top-level key of the script',
  },
  de: {
    alsoNamed: 'auch {names}',
    optional: 'optional',
    required: 'erforderlich',
    result: 'Ergebnis: {type}',
    variable: 'Variable des Skripts',
    contextVariable: 'Kontextvariable',
    userField: 'Feld von Context.User ({type})',
    readOnly: 'nur lesbar',
    office: 'Arbeitsbereich (Office) {id}',
    group: 'Gruppe {id}',
    topLevel: 'Schlüssel der obersten Ebene des Skripts',
  },
};

const TOP_LEVEL_KEYS = ['version', 'onError', 'actions'];
const MODEL_MARKER = 'sign-in-script';
const ID_LOOKUPS: Record<string, { kind: 'office' | 'group'; list: 'offices' | 'groups' }> = {
  officeId: { kind: 'office', list: 'offices' },
  groupId: { kind: 'group', list: 'groups' },
};
/** How many workspaces or groups one completion lists; typing more of the name narrows the search. */
const ID_SUGGESTIONS = 50;

export function describeAction(action: ActionDoc, types: DesignerCatalogue['types'], language: Language = currentLanguage()): string {
  const t = translator(strings);
  const type = (name: keyof DesignerCatalogue['types'][Language]) => types[language][name] ?? name;
  const aliases = action.aliases.length ? ` (${t('alsoNamed', { names: action.aliases.join(', ') })})` : '';
  return [
    `**${action.name}**${aliases}`,
    action.doc[language],
    ...action.parameters.map((p) => `- \`${p.name}\` (${type(p.type)}, ${t(p.required ? 'required' : 'optional')}): ${p.doc[language]}`),
    action.result !== 'none' ? t('result', { type: type(action.result) }) : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** Registers completion and hover for the script model; returns their disposer. */
export function registerScriptLanguage(monaco: MonacoApi, catalogue: DesignerCatalogue): Monaco.IDisposable {
  const byName = new Map<string, ActionDoc>();
  for (const action of catalogue.actions) for (const name of [action.name, ...action.aliases]) byName.set(name, action);
  const find = (name: string) => byName.get(name);
  const { CompletionItemKind: Kind, CompletionItemInsertTextRule: Rule } = monaco.languages;

  const completion = monaco.languages.registerCompletionItemProvider('yaml', {
    triggerCharacters: [' '],
    async provideCompletionItems(model, position, _context, token) {
      if (!model.uri.toString().includes(MODEL_MARKER)) return { suggestions: [] };
      const language = currentLanguage();
      const t = translator(strings);
      const line = model.getLineContent(position.lineNumber);
      const typed = /[\w.]*$/.exec(line.slice(0, position.column - 1))![0];
      const range = new monaco.Range(position.lineNumber, position.column - typed.length, position.lineNumber, position.column);
      const text = model.getValue();
      const context: CursorContext = contextAt(text, position.lineNumber - 1, position.column - 1 - typed.length, find);
      const keyColumn = position.column - 1 - typed.length;
      const suggestions: Monaco.languages.CompletionItem[] = [];
      const typeName = (name: keyof DesignerCatalogue['types'][Language]) => catalogue.types[language][name] ?? name;
      const variables = () => [
        ...catalogue.contextVariables.map((v) => ({
          name: v.name,
          detail: t('contextVariable'),
          doc: v.doc[language],
        })),
        ...scriptVariables(text, find).map((name) => ({
          name,
          detail: t('variable'),
          doc: '',
        })),
      ];

      switch (context.kind) {
        case 'topLevelKey':
          for (const key of TOP_LEVEL_KEYS)
            suggestions.push({
              label: key,
              kind: Kind.Property,
              detail: t('topLevel'),
              insertText: `${key}: `,
              range,
            });
          break;
        case 'topLevelValue':
          for (const value of context.key === 'version' ? ['1'] : ['deny', 'continue'])
            suggestions.push({
              label: value,
              kind: Kind.Value,
              insertText: value,
              range,
            });
          break;
        case 'action':
          for (const action of catalogue.actions) {
            if (context.nested && action.result === 'none') continue;
            suggestions.push({
              label: action.name,
              kind: Kind.Function,
              detail: action.result !== 'none' ? t('result', { type: typeName(action.result) }) : undefined,
              documentation: { value: describeAction(action, catalogue.types, language) },
              insertText: actionSnippet(action, {
                flow: context.flow,
                listItem: context.listItem,
                column: keyColumn,
              }),
              insertTextRules: Rule.InsertAsSnippet,
              range,
            });
          }
          if (context.nested) for (const v of variables()) suggestions.push(variableItem(v, `var: ${v.name}`));
          break;
        case 'parameter': {
          const action = find(context.action)!;
          for (const parameter of action.parameters) {
            if (context.written.includes(parameter.name)) continue;
            suggestions.push({
              label: parameter.name,
              kind: Kind.Property,
              detail: `${typeName(parameter.type)}, ${t(parameter.required ? 'required' : 'optional')}`,
              documentation: { value: parameter.doc[language] },
              insertText: parameter.type === 'actions' && !context.flow ? `${parameter.name}:\n${' '.repeat(keyColumn + 2)}- ` : `${parameter.name}: `,
              // Required parameters first, in the declaration's order.
              sortText: `${parameter.required ? 0 : 1}${String(action.parameters.indexOf(parameter)).padStart(2, '0')}`,
              range,
            });
          }
          break;
        }
        case 'variable':
          for (const v of variables()) suggestions.push(variableItem(v, v.name));
          break;
        case 'value': {
          const action = find(context.action)!;
          const parameter = action.parameters.find((p) => p.name === context.parameter);
          if (context.parameter === 'field' && (action.name === 'GetValue' || action.name === 'SetValue') && isContextUser(context.siblings.object)) {
            for (const field of catalogue.userFields) {
              if (action.name === 'SetValue' && !field.writable) continue;
              suggestions.push({
                label: field.name,
                kind: Kind.Field,
                detail: `${t('userField', { type: typeName(field.type) })}${field.writable ? '' : `, ${t('readOnly')}`}`,
                insertText: field.name,
                range,
              });
            }
            break;
          }
          const lookup = ID_LOOKUPS[context.parameter];
          if (lookup) {
            const search = typed.replace(/^["']/, '');
            const page = await answer(adminApi[lookup.list].$get({ query: { pageSize: String(ID_SUGGESTIONS), ...(search ? { search } : {}) } })).catch(() => ({ items: [] }));
            if (token.isCancellationRequested) return { suggestions: [] };
            for (const item of page.items) {
              suggestions.push({
                label: item.name,
                kind: Kind.Reference,
                detail: t(lookup.kind, { id: item.id }),
                filterText: item.name,
                insertText: `"${item.id}"`,
                sortText: `0${item.name}`,
                range,
              });
            }
          }
          if (parameter?.type === 'boolean')
            for (const value of ['true', 'false'])
              suggestions.push({
                label: value,
                kind: Kind.Value,
                insertText: value,
                range,
              });
          for (const v of variables()) suggestions.push(variableItem(v, `{ var: ${v.name} }`));
          for (const nested of catalogue.actions) {
            if (nested.result === 'none') continue;
            suggestions.push({
              label: `{ ${nested.name} }`,
              filterText: nested.name,
              kind: Kind.Function,
              documentation: { value: describeAction(nested, catalogue.types, language) },
              insertText: `{ ${flowBody(nested)} }`,
              insertTextRules: Rule.InsertAsSnippet,
              sortText: `9${nested.name}`,
              range,
            });
          }
          break;
        }
        default:
          break;
      }
      return { suggestions };

      function variableItem(v: { name: string; detail: string; doc: string }, insertText: string): Monaco.languages.CompletionItem {
        return {
          label: insertText.startsWith('{') ? insertText : v.name,
          filterText: v.name,
          kind: Kind.Variable,
          detail: v.detail,
          documentation: v.doc || undefined,
          insertText,
          sortText: `5${v.name}`,
          range,
        };
      }
    },
  });

  const hover = monaco.languages.registerHoverProvider('yaml', {
    provideHover(model, position) {
      if (!model.uri.toString().includes(MODEL_MARKER)) return null;
      const language = currentLanguage();
      const line = model.getLineContent(position.lineNumber);
      const start = line.slice(0, position.column - 1).search(/[\w.]*$/);
      const word = /^[\w.]*/.exec(line.slice(start))![0];
      if (!word) return null;
      const range = new monaco.Range(position.lineNumber, start + 1, position.lineNumber, start + 1 + word.length);
      const variable = catalogue.contextVariables.find((v) => v.name === word);
      if (variable)
        return {
          range,
          contents: [{ value: `**${variable.name}**` }, { value: variable.doc[language] }],
        };
      // A parameter name: documented by the action it belongs to.
      if (
        line
          .slice(start + word.length)
          .trimStart()
          .startsWith(':')
      ) {
        const context = contextAt(model.getValue(), position.lineNumber - 1, start, find);
        if (context.kind === 'parameter') {
          const parameter = find(context.action)?.parameters.find((p) => p.name === word);
          if (parameter)
            return {
              range,
              contents: [
                {
                  value: `**${context.action}.${parameter.name}** (${catalogue.types[language][parameter.type] ?? parameter.type})`,
                },
                { value: parameter.doc[language] },
              ],
            };
        }
      }
      const action = byName.get(word);
      return action ? { range, contents: [{ value: describeAction(action, catalogue.types, language) }] } : null;
    },
  });
  return { dispose: () => (completion.dispose(), hover.dispose()) };
}

/** `Name:` and its required parameters, each a tab stop: on the next lines (block) or in braces (flow). */
function actionSnippet(action: ActionDoc, where: { flow: boolean; listItem: boolean; column: number }): string {
  if (where.flow) return flowBody(action);
  const required = action.parameters.filter((p) => p.required);
  const dash = where.listItem ? '- ' : '';
  const indent = ' '.repeat(where.column + dash.length + 2);
  if (required.length === 0) return `${dash}${action.name}: $0`;
  return `${dash}${action.name}:\n${required.map((p, i) => `${indent}${p.name}: \${${i + 1}}`).join('\n')}`;
}

function flowBody(action: ActionDoc): string {
  const required = action.parameters.filter((p) => p.required);
  return required.length ? `${action.name}: { ${required.map((p, i) => `${p.name}: \${${i + 1}}`).join(', ')} }` : `${action.name}: {}`;
}
