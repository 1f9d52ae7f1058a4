/**
 * The outline of a sign-in script: its tree of actions (a node per action, under the parameter it is the value
 * of). A click on a node moves the editor to its line. With a test run's trace, each node shows what it was given
 * and what it gave, once per time it ran (a ForEach body runs several times), and the actions that did not run.
 */
import { useTranslator, type Dictionaries } from '../../../lib/i18n';
import type { TraceStep } from '../../../../../script-engine/types';
import type { OutlineNode } from './script-context';

/** A step of a test run's trace, as the engine records it. */
export type { TraceStep };


const strings: Dictionaries = {
  en: {
    outline: 'Outline',
    empty: 'No actions yet.',
    lineShort: 'line {line}',
    notRun: 'did not run',
    ran: 'ran {count}×',
    run: 'Run {index}',
    inputs: 'Inputs',
    output: 'Output',
    noInputs: 'none',
    nothing: 'nothing',
  },
  de: {
    outline: 'Gliederung',
    empty: 'Noch keine Aktionen.',
    lineShort: 'Zeile {line}',
    notRun: 'nicht ausgeführt',
    ran: '{count}× ausgeführt',
    run: 'Durchlauf {index}',
    inputs: 'Eingaben',
    output: 'Ergebnis',
    noInputs: 'keine',
    nothing: 'nichts',
  },
};

const VALUE_PREVIEW_CHARS = 160;

/** A value as an admin reads it: text in quotes, lists in brackets, objects as `key: value`, long ones cut. */
export function presentValue(value: unknown): string {
  const text = (() => {
    if (value === undefined || value === null) return '—';
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return `[${value.map(presentValue).join(', ')}]`;
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([key, inner]) => `${key}: ${presentValue(inner)}`)
      .join(', ')} }`;
  })();
  return text.length > VALUE_PREVIEW_CHARS ? `${text.slice(0, VALUE_PREVIEW_CHARS - 1)}…` : text;
}

export function ScriptOutline(props: { nodes: OutlineNode[]; trace?: TraceStep[] | null; onSelect: (line: number, column: number) => void; testId?: string }) {
  const t = useTranslator(strings);
  const runs = new Map<string, TraceStep[]>();
  for (const step of props.trace ?? []) {
    const key = `${step.line}:${step.column}`;
    runs.set(key, [...(runs.get(key) ?? []), step]);
  }
  return (
    <nav class="script-outline" aria-label={t('outline')} data-testid={props.testId ?? 'script-outline'}>
      <strong>{t('outline')}</strong>
      {props.nodes.length === 0 ? <p class="muted">{t('empty')}</p> : <Branch nodes={props.nodes} runs={props.trace ? runs : null} onSelect={props.onSelect} />}
    </nav>
  );
}

function Branch({ nodes, runs, onSelect }: { nodes: OutlineNode[]; runs: Map<string, TraceStep[]> | null; onSelect: (line: number, column: number) => void }) {
  const t = useTranslator(strings);
  return (
    <ul role="tree">
      {nodes.map((node) => {
        const steps = runs?.get(`${node.line}:${node.column}`) ?? [];
        return (
          <li
            key={`${node.line}:${node.column}`}
            role="treeitem"
            data-action={node.action}
            aria-expanded={node.children.length ? true : undefined}
            data-line={node.line}
            class={runs && steps.length === 0 ? 'not-run' : undefined}
          >
            {/* A link to its line, not a button: the page's buttons (Save) keep their names to themselves. */}
            <a
              href={`#L${node.line}`}
              class="outline-node"
              onClick={(event) => {
                event.preventDefault();
                onSelect(node.line, node.column);
              }}
            >
              {node.via ? <span class="muted">{node.via}: </span> : null}
              <span class="outline-action">{node.action}</span> <span class="muted">{t('lineShort', { line: node.line })}</span>
              {runs ? <span class={`pill ${steps.length ? 'ok' : 'off'}`}>{steps.length ? t('ran', { count: steps.length }) : t('notRun')}</span> : null}
            </a>
            {steps.length ? (
              <ol class="outline-runs">
                {steps.map((step, index) => (
                  <li key={index} data-testid="trace-run">
                    {steps.length > 1 ? <span class="muted">{t('run', { index: index + 1 })}: </span> : null}
                    <span class="muted">{t('inputs')}:</span>{' '}
                    {Object.keys(step.inputs).length ? (
                      Object.entries(step.inputs).map(([name, value], i) => (
                        <span key={name}>
                          {i ? ', ' : ''}
                          <code>{name}</code> = <code>{presentValue(value)}</code>
                        </span>
                      ))
                    ) : (
                      <span>{t('noInputs')}</span>
                    )}
                    {' → '}
                    <span class="muted">{t('output')}:</span>{' '}
                    <code data-testid="trace-output">{step.output === undefined || step.output === null ? t('nothing') : presentValue(step.output)}</code>
                  </li>
                ))}
              </ol>
            ) : null}
            {node.children.length ? <Branch nodes={node.children} runs={runs} onSelect={onSelect} /> : null}
          </li>
        );
      })}
    </ul>
  );
}
