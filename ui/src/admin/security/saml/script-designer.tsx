/**
 * The Script Designer (lower section of the SAML configuration): the sign-in script that runs before every
 * SAML sign-in. Monaco (lazy) with completion and hover that know where the cursor is (script-language.ts), an
 * outline of the action tree beside it, markers from the server's checker as you type, the inline actions
 * GetSystemName / GetSystemId, a dry test run whose trace is shown on the tree, versions with differences and
 * restore, the error policy and a kill switch.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Alert, Button, Checkbox, SelectField, TextField } from '../../../components/form';
import { CrossIcon } from '../../../components/icons';
import { Tabs } from '../../../components/layout';
import { lazyPage } from '../../../components/lazy';
import { showToast } from '../../../components/toast';
import { ApiError } from '../../../lib/api';
import type { InferResponseType } from 'hono/client';
import { adminApi, answer as answerOf } from '../../../lib/api-client';
import { describeScriptProblem } from '../../../../../script-engine/problems';
import { describeError, formatDateTime, useLanguage, useTranslator, type Dictionaries, type Language } from '../../../lib/i18n';
import { useAnswer } from '../../use-data';
import { confirmAction } from '../../widgets';
import { UserPicker } from '../../users-page';
import type { UserAnswer as AdminUser } from '../../../../../worker/users/answers';
import { diffLines } from './line-diff';
import type { EditorMarker, YamlEditorProps } from '../../monaco/yaml-editor';
import { loadYamlEditor } from '../../monaco/load';
import { outlineOf } from './script-context';
import { registerScriptLanguage, type DesignerCatalogue } from './script-language';
import { ScriptOutline, type TraceStep } from './script-outline';
import { askToLeave, useUnsavedChangesGuard } from '../../unsaved-changes';
import type { OrganisationAnswer } from '../../../../../worker/organisation/answers';

const scriptApi = adminApi['sign-in-script'];
/** The script, its versions, policy and kill switch; one saved version; a checker problem; a dry run: as the routes declare them. */
type ScriptState = InferResponseType<typeof scriptApi.$get, 200>;
type ScriptVersionSource = InferResponseType<(typeof scriptApi.versions)[':version']['$get'], 200>;
/** `problem` and `params` render it in the page's language; `message` is the server's English. */
type ScriptProblem = InferResponseType<typeof scriptApi.check.$post, 200>['errors'][number];
type TestRunAnswer = InferResponseType<(typeof scriptApi)['test-run']['$post'], 200>;
/** A change a run would apply, as data. */
type ScriptChange = Extract<TestRunAnswer, { ok: true }>['wouldApply'][number];

const YamlEditor = lazyPage<YamlEditorProps>(loadYamlEditor);

const strings: Dictionaries = {
  en: {
    title: 'Sign-in script',
    intro:
      'Runs before every SAML sign-in with the received claims (Context.Claims), the user (Context.User) and their id (Context.UserId). Its changes are applied together with the sign-in, or not at all.',
    none: 'There is no sign-in script.',
    create: 'Create',
    open: 'Open',
    close: 'Close',
    delete: 'Delete',
    confirmDelete: 'Delete the sign-in script? Its versions stay in the history.',
    deleted: 'The sign-in script is deleted.',
    save: 'Save',
    saved: 'Saved as version {version}. It runs from the next sign-in on.',
    enabled: 'Run the script at sign-in',
    killSwitchHint: 'Switch off to stop the script at once without deleting it.',
    onError: 'When the script fails',
    deny: 'Deny the sign-in (recommended)',
    continue: 'Continue the sign-in without the script',
    problems: '{count} problems',
    problemsOne: '1 problem',
    noProblems: 'No problems.',
    insert: 'Insert',
    systemName: 'GetSystemName',
    systemNameHint: "A user field's system name",
    systemId: 'GetSystemId',
    systemIdHint: 'The id of a workspace or group',
    kind: 'Type',
    office: 'Workspace (office)',
    group: 'Group',
    searchName: 'Name',
    editor: 'Editor',
    testRun: 'Test run',
    history: 'History',
    claims: 'Sample claims, one per line: name = value (repeat a name for several values)',
    sampleUser: 'Sample user (optional)',
    removeSampleUser: 'Run without a sample user',
    run: 'Run without changing anything',
    outcome: 'Outcome',
    trace: 'Trace',
    effects: 'Would apply',
    nothing: 'Nothing.',
    traceTruncated: 'The trace was cut here: a test run answers at most 1 MB.',
    effectsTruncated: 'More changes than shown: a test run answers at most 1 MB.',
    version: 'Version',
    savedAt: 'Saved',
    savedBy: 'By',
    applied: 'current',
    compare: 'Compare with the editor',
    restore: 'Restore',
    restored: 'Version {version} restored as version {newVersion}.',
    template: 'Example',
    position: 'Line {line}, column {column}',
    example:
      'Runs before every SAML sign-in: sets the user’s last name from the surname claim of the IdP and saves the user.\nPoint at an action’s name for what it does; Ctrl+Space suggests actions and their parameters.',
    outcomeSuccess: 'the script ran to the end',
    outcomeError: 'the script failed',
    outcomeDenied: 'the script denies the sign-in',
    wouldFail: 'its changes cannot be applied',
    changeSet: 'set {field} = {value}',
    changeAddOffice: 'add to office "{name}"',
    changeAddGroup: 'add to group "{name}"',
    changeRemoveOffice: 'remove from office "{name}"',
    changeRemoveGroup: 'remove from group "{name}"',
    readOnly: 'read-only',
    chooseField: 'Field',
  },
  de: {
    title: 'Anmeldeskript',
    intro:
      'Läuft vor jeder SAML-Anmeldung mit den empfangenen Claims (Context.Claims), dem Benutzer (Context.User) und seiner ID (Context.UserId). Seine Änderungen werden zusammen mit der Anmeldung übernommen oder gar nicht.',
    none: 'Es gibt kein Anmeldeskript.',
    create: 'Anlegen',
    open: 'Öffnen',
    close: 'Schließen',
    delete: 'Löschen',
    confirmDelete: 'Anmeldeskript löschen? Seine Versionen bleiben in der Historie.',
    deleted: 'Das Anmeldeskript ist gelöscht.',
    save: 'Speichern',
    saved: 'Als Version {version} gespeichert. Es läuft ab der nächsten Anmeldung.',
    enabled: 'Skript bei der Anmeldung ausführen',
    killSwitchHint: 'Ausschalten stoppt das Skript sofort, ohne es zu löschen.',
    onError: 'Wenn das Skript fehlschlägt',
    deny: 'Anmeldung verweigern (empfohlen)',
    continue: 'Anmeldung ohne Skript fortsetzen',
    problems: '{count} Probleme',
    problemsOne: '1 Problem',
    noProblems: 'Keine Probleme.',
    insert: 'Einfügen',
    systemName: 'GetSystemName',
    systemNameHint: 'Systemname eines Benutzerfelds',
    systemId: 'GetSystemId',
    systemIdHint: 'ID eines Arbeitsbereichs oder einer Gruppe',
    kind: 'Typ',
    office: 'Arbeitsbereich (Office)',
    group: 'Gruppe',
    searchName: 'Name',
    editor: 'Editor',
    testRun: 'Testlauf',
    history: 'Historie',
    claims: 'Beispiel-Claims, einer pro Zeile: Name = Wert (Name wiederholen für mehrere Werte)',
    sampleUser: 'Beispielbenutzer (optional)',
    removeSampleUser: 'Ohne Beispielbenutzer ausführen',
    run: 'Ausführen, ohne etwas zu ändern',
    outcome: 'Ergebnis',
    trace: 'Ablauf',
    effects: 'Würde übernehmen',
    nothing: 'Nichts.',
    traceTruncated: 'Der Ablauf wurde hier abgeschnitten: ein Testlauf antwortet mit höchstens 1 MB.',
    effectsTruncated: 'Mehr Änderungen als angezeigt: ein Testlauf antwortet mit höchstens 1 MB.',
    version: 'Version',
    savedAt: 'Gespeichert',
    savedBy: 'Von',
    applied: 'aktuell',
    compare: 'Mit dem Editor vergleichen',
    restore: 'Wiederherstellen',
    restored: 'Version {version} als Version {newVersion} wiederhergestellt.',
    template: 'Beispiel',
    position: 'Zeile {line}, Spalte {column}',
    example:
      'Läuft vor jeder SAML-Anmeldung: setzt den Nachnamen des Benutzers aus dem Claim „surname“ des IdP und speichert den Benutzer.\nZeigen Sie auf den Namen einer Aktion, um zu sehen, was sie tut; Strg+Leertaste schlägt Aktionen und ihre Parameter vor.',
    outcomeSuccess: 'Das Skript lief bis zum Ende',
    outcomeError: 'Das Skript ist fehlgeschlagen',
    outcomeDenied: 'Das Skript verweigert die Anmeldung',
    wouldFail: 'seine Änderungen lassen sich nicht anwenden',
    changeSet: '{field} = {value} setzen',
    changeAddOffice: 'zum Arbeitsbereich „{name}“ hinzufügen',
    changeAddGroup: 'zur Gruppe „{name}“ hinzufügen',
    changeRemoveOffice: 'aus dem Arbeitsbereich „{name}“ entfernen',
    changeRemoveGroup: 'aus der Gruppe „{name}“ entfernen',
    readOnly: 'nur lesbar',
    chooseField: 'Feld',
  },
};

/** The script a new one starts from, introduced by a comment in the page's language. */
function exampleScript(t: Translate): string {
  const comment = t('example')
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n');
  return `${comment}
version: 1
actions:
  - SetValue:
      object: { var: Context.User }
      field: lastName
      value:
        GetEntry:
          claims: { var: Context.Claims }
          key: http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname
          index: 0
  - SaveInstance:
      object: { var: Context.User }
`;
}

const CHECK_DELAY_MS = 400;

export function ScriptDesigner() {
  const t = useTranslatorLocal();
  const { data: state, reload } = useAnswer((init) => answerOf(scriptApi.$get({}, { init })), []);
  const [open, setOpen] = useState(false);
  const [source, setSource] = useState('');
  const [revision, setRevision] = useState(0);
  const [onError, setOnError] = useState<'deny' | 'continue'>('deny');
  const [problems, setProblems] = useState<ScriptProblem[]>([]);
  const [tab, setTab] = useState<'editor' | 'test' | 'history'>('editor');
  const [busy, setBusy] = useState(false);
  const [cursor, setCursor] = useState({ line: 1, column: 1 });
  /** The example a new script was opened with (in the language of that moment): unchanged, it is no edit. */
  const [example, setExample] = useState('');
  /**
   * Whether the admin put the cursor somewhere (a click, the keyboard, a node of the outline). Until then Monaco's
   * cursor sits at line 1, column 1, where an inserted value would run into the first line and break the YAML.
   */
  const cursorPlaced = useRef(false);
  /** The last test run, with the source it ran: its trace is drawn on the outline while that source is unchanged. */
  const [lastRun, setLastRun] = useState<{
    source: string;
    trace: TraceStep[];
  } | null>(null);
  const editorRef = useRef<{
    insert(text: string, note?: string): void;
    goTo(line: number, column: number): void;
  } | null>(null);
  const outline = useMemo(() => (open ? outlineOf(source) : []), [source, open]);

  useEffect(() => {
    if (!open) return;
    const timer = setTimeout(() => {
      answerOf(scriptApi.check.$post({ json: { source } }))
        .then((answer) =>
          setProblems([
            ...answer.errors,
            ...answer.warnings.map((w) => ({
              ...w,
              code: w.code ?? 'WARNING',
            })),
          ]),
        )
        .catch(() => undefined);
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [source, open]);

  const language = useLanguage();
  const markers: EditorMarker[] = useMemo(
    () =>
      problems.map((p) => ({
        line: p.line,
        column: p.column,
        message: describeScriptProblem(p, language),
      })),
    [problems, language],
  );

  // The editor holds edits while its text or policy differs from the saved script (or, before the first save, the
  // example it opened with).
  const dirty = open && state !== null && (source !== (state.script?.source ?? example) || onError !== (state.script?.onError ?? 'deny'));
  useUnsavedChangesGuard(dirty);

  if (!state) return <div class="loading" aria-busy="true" />;

  function openEditor(text: string, policy: 'deny' | 'continue') {
    setSource(text);
    // The new text puts the cursor back at the start, where nobody placed it.
    cursorPlaced.current = false;
    setRevision((r) => r + 1);
    setOnError(policy);
    setOpen(true);
    setTab('editor');
  }

  async function save() {
    setBusy(true);
    try {
      const saved = await answerOf(scriptApi.$put({ json: { source, onError } }));
      showToast(t('saved', { version: saved.script?.version ?? '' }));
      reload();
    } catch (failure) {
      const details = failure instanceof ApiError ? (failure.details as { errors?: ScriptProblem[] } | undefined) : undefined;
      if (details?.errors) setProblems(details.errors);
      showToast(describeError(failure), 'error');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel stack" aria-labelledby="script-designer-title">
      <h2 id="script-designer-title">{t('title')}</h2>
      <p class="muted">{t('intro')}</p>
      {!state.script && !open ? (
        <div class="row">
          <span>{t('none')}</span>
          <Button
            onClick={() => {
              const text = exampleScript(t);
              setExample(text);
              openEditor(text, 'deny');
            }}
          >
            {t('create')}
          </Button>
        </div>
      ) : null}
      {state.script && !open ? (
        <div class="row">
          <span>
            {t('version')} {state.script.version} · {formatDateTime(state.script.savedAt)} {state.script.savedBy ? `· ${state.script.savedBy}` : ''}
          </span>
          <Button onClick={() => openEditor(state.script!.source, state.script!.onError)}>{t('open')}</Button>
          <Button
            variant="danger"
            onClick={async () => {
              if (!(await confirmAction(t('confirmDelete'), t('delete')))) return;
              try {
                await scriptApi.$delete();
                showToast(t('deleted'));
                reload();
              } catch (failure) {
                showToast(describeError(failure), 'error');
              }
            }}
          >
            {t('delete')}
          </Button>
        </div>
      ) : null}
      {state.script || state.versions.length ? (
        <div>
          <Checkbox
            label={t('enabled')}
            name="script-enabled"
            checked={state.enabled}
            onChecked={(enabled) =>
              scriptApi.enabled
                .$put({ json: { enabled } })
                .then(reload)
                .catch((failure) => showToast(describeError(failure), 'error'))
            }
          />
          <small class="hint">{t('killSwitchHint')}</small>
        </div>
      ) : null}
      {open ? (
        <>
          <Tabs
            tabs={[
              { id: 'editor', label: t('editor') },
              { id: 'test', label: t('testRun') },
              { id: 'history', label: t('history') },
            ]}
            active={tab}
            onSelect={setTab}
          />
          {/* Hidden, not unmounted: the editor keeps its undo history and cursor while another tab is open. */}
          <div role="tabpanel" aria-label={t('editor')} class="stack" style={tab === 'editor' ? undefined : 'display:none'}>
            <InlineActions onInsert={(text, note) => editorRef.current?.insert(text, note)} />
            <div class="script-workbench">
              <div class="stack">
                <YamlEditor
                  value={source}
                  revision={revision}
                  onChange={setSource}
                  modelUri="inmemory://eid/sign-in-script.yaml"
                  markers={markers}
                  markerOwner="script-checker"
                  ariaLabel={t('title')}
                  onMonaco={(monaco) => attachScriptLanguage(monaco)}
                  onEditor={(editor) => {
                    editor.onDidChangeCursorPosition((event) => {
                      setCursor({
                        line: event.position.lineNumber,
                        column: event.position.column,
                      });
                      if (USER_CURSOR_SOURCES.has(event.source)) cursorPlaced.current = true;
                    });
                    editorRef.current = {
                      insert(text, note) {
                        const selection = editor.getSelection();
                        if (cursorPlaced.current && selection) editor.executeEdits('inline-action', [{ range: selection, text, forceMoveMarkers: true }]);
                        else appendCommentLine(editor, note ? `${note}: ${text}` : text);
                        editor.focus();
                      },
                      goTo(line, column) {
                        cursorPlaced.current = true;
                        editor.setPosition({ lineNumber: line, column });
                        editor.revealLineInCenter(line);
                        editor.focus();
                      },
                    };
                  }}
                />
                <small class="muted" data-testid="script-cursor">
                  {t('position', { line: cursor.line, column: cursor.column })}
                </small>
              </div>
              <ScriptOutline nodes={outline} trace={lastRun?.source === source ? lastRun.trace : null} onSelect={(line, column) => editorRef.current?.goTo(line, column)} />
            </div>
            <ProblemList problems={problems} />
            <div class="row">
              <SelectField
                label={t('onError')}
                name="on-error"
                value={onError}
                onValue={setOnError}
                options={[
                  { value: 'deny', label: t('deny') },
                  { value: 'continue', label: t('continue') },
                ]}
              />
              <span class="spacer" />
              <Button
                variant="secondary"
                onClick={async () => {
                  // Closing drops the editor's text as leaving the page would: the same question first.
                  if (dirty && !(await askToLeave())) return;
                  setOpen(false);
                }}
              >
                {t('close')}
              </Button>
              <Button busy={busy} onClick={save}>
                {t('save')}
              </Button>
            </div>
          </div>
          {tab === 'test' ? (
            <TestRun
              source={source}
              onTrace={(trace) => setLastRun({ source, trace })}
              onSelect={(line, column) => {
                setTab('editor');
                // After the editor's panel is shown again, so Monaco can measure where to scroll.
                setTimeout(() => editorRef.current?.goTo(line, column));
              }}
            />
          ) : null}
          {tab === 'history' ? (
            <History
              state={state}
              current={source}
              onRestored={(restored) => {
                reload();
                if (restored.script) openEditor(restored.script.source, restored.script.onError);
              }}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function useTranslatorLocal() {
  return useTranslator(strings);
}

type Translate = ReturnType<typeof useTranslatorLocal>;

/** Monaco's names for cursor moves a person makes; the others (a loaded text, our own edits) place nothing. */
const USER_CURSOR_SOURCES = new Set(['mouse', 'keyboard']);

type ScriptEditor = Parameters<NonNullable<YamlEditorProps['onEditor']>>[0];

/**
 * `text` on a comment line of its own at the end of the script, for an insert with no cursor placed: the script
 * stays as it was, and the value is at hand to move where it belongs. The cursor goes to the end of that line.
 */
function appendCommentLine(editor: ScriptEditor, text: string): void {
  const model = editor.getModel();
  if (!model) return;
  const last = model.getLineCount();
  const end = model.getLineMaxColumn(last);
  const lastIsEmpty = end === 1;
  const comment = `# ${text}`;
  editor.executeEdits('inline-action', [{ range: { startLineNumber: last, startColumn: end, endLineNumber: last, endColumn: end }, text: lastIsEmpty ? `${comment}\n` : `\n${comment}` }]);
  const line = lastIsEmpty ? last : last + 1;
  editor.setPosition({ lineNumber: line, column: model.getLineMaxColumn(line) });
  editor.revealLine(line);
}

/** A problem as people read it: where, then what. Its stable code is no text for people; it stays in the markup. */
function describeProblemAt(problem: Parameters<typeof describeScriptProblem>[0] & { line?: number | null; column?: number | null }, language: Language, t: Translate): string {
  const message = describeScriptProblem(problem, language);
  return problem.line ? `${t('position', { line: problem.line, column: problem.column ?? 1 })}: ${message}` : message;
}

function ProblemList({ problems }: { problems: ScriptProblem[] }) {
  const t = useTranslatorLocal();
  const language = useLanguage();
  if (problems.length === 0)
    return (
      <p class="muted" data-testid="script-problems">
        {t('noProblems')}
      </p>
    );
  return (
    <div data-testid="script-problems">
      <strong>{t(problems.length === 1 ? 'problemsOne' : 'problems', { count: problems.length })}</strong>
      <ul class="problems">
        {problems.map((p, i) => (
          <li key={i} data-code={p.code}>
            {describeProblemAt(p, language, t)}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * GetSystemName and GetSystemId: look up a user field or an office/group and insert it at the cursor. `note` says
 * what an inserted id stands for, where the editor has no cursor to put it at.
 */
function InlineActions({ onInsert }: { onInsert: (text: string, note?: string) => void }) {
  const t = useTranslatorLocal();
  const fields = useAnswer((init) => answerOf(scriptApi['user-fields'].$get({}, { init })), []);
  const [field, setField] = useState('');
  const [kind, setKind] = useState<'office' | 'group'>('office');
  const [name, setName] = useState('');
  const [matches, setMatches] = useState<OrganisationAnswer[]>([]);
  useEffect(() => {
    if (!name.trim()) return setMatches([]);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      answerOf(adminApi[kind === 'office' ? 'offices' : 'groups'].$get({ query: { search: name.trim(), pageSize: '8' } }, { init: { signal: controller.signal } }))
        .then((page) => setMatches(page.items))
        .catch(() => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [name, kind]);
  const options = [
    { value: '', label: '—' },
    ...(fields.data?.items ?? []).map((f) => ({
      value: f.name,
      label: f.writable ? f.name : `${f.name} (${t('readOnly')})`,
    })),
  ];
  // Two separate groups, each its own column that shrinks with the page: the long select of one can never run
  // under the buttons of the other.
  return (
    <div class="inline-actions">
      <fieldset class="inline-action" data-testid="get-system-name">
        <legend title={t('systemNameHint')}>{t('systemName')}</legend>
        <small class="hint">{t('systemNameHint')}</small>
        <div class="inline-action-row">
          <SelectField label={t('chooseField')} name="system-name" value={field} onValue={setField} options={options} />
          <Button variant="secondary" disabled={!field} onClick={() => onInsert(field)}>
            {t('insert')}
          </Button>
        </div>
      </fieldset>
      <fieldset class="inline-action" data-testid="get-system-id">
        <legend title={t('systemIdHint')}>{t('systemId')}</legend>
        <small class="hint">{t('systemIdHint')}</small>
        <div class="inline-action-row">
          <SelectField
            label={t('kind')}
            name="system-id-kind"
            value={kind}
            onValue={setKind}
            options={[
              { value: 'office', label: t('office') },
              { value: 'group', label: t('group') },
            ]}
          />
          <TextField label={t('searchName')} name="system-id-name" value={name} onValue={setName} />
        </div>
        <ul class="sortable-list system-id-matches">
          {matches.map((match) => (
            <li key={match.id}>
              <span class="match-name">{match.name}</span>
              <code class="muted" title={match.id}>
                {match.id}
              </code>
              <Button variant="secondary" onClick={() => onInsert(`"${match.id}"`, match.name)}>
                {t('insert')}
              </Button>
            </li>
          ))}
        </ul>
      </fieldset>
    </div>
  );
}

function parseClaims(text: string): Record<string, string[]> {
  const claims: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (!name) continue;
    (claims[name] ??= []).push(value);
  }
  return claims;
}

const CHANGE_KEYS = { add: { office: 'changeAddOffice', group: 'changeAddGroup' }, remove: { office: 'changeRemoveOffice', group: 'changeRemoveGroup' } } as const;

/** A change the run would apply, in the page's language (the answer carries it as data). */
function describeChange(change: ScriptChange, t: Translate): string {
  if (change.change === 'set') return t('changeSet', { field: change.field, value: JSON.stringify(change.value) });
  return t(CHANGE_KEYS[change.change][change.kind], { name: change.name });
}

function TestRun({ source, onTrace, onSelect }: { source: string; onTrace: (trace: TraceStep[]) => void; onSelect: (line: number, column: number) => void }) {
  const t = useTranslatorLocal();
  const language = useLanguage();
  const [ranSource, setRanSource] = useState(source);
  const [claims, setClaims] = useState('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname = Doe\nextRole = admin');
  const [user, setUser] = useState<AdminUser | null>(null);
  const [answer, setAnswer] = useState<TestRunAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div class="stack">
      <div class="field">
        <label for="test-claims">{t('claims')}</label>
        <textarea id="test-claims" rows={5} class="mono" value={claims} onInput={(e) => setClaims((e.currentTarget as HTMLTextAreaElement).value)} />
      </div>
      {user ? (
        <p>
          {t('sampleUser')}: <strong>{user.login}</strong>{' '}
          <Button variant="link" aria-label={t('removeSampleUser')} title={t('removeSampleUser')} onClick={() => setUser(null)}>
            <CrossIcon />
          </Button>
        </p>
      ) : (
        <UserPicker label={t('sampleUser')} onPick={setUser} />
      )}
      <Button
        busy={busy}
        onClick={async () => {
          setBusy(true);
          try {
            const ran = await answerOf(scriptApi['test-run'].$post({ json: { source, claims: parseClaims(claims), userId: user?.id ?? null } }));
            setRanSource(source);
            setAnswer(ran);
            if (ran.ok) onTrace(ran.trace ?? []);
          } catch (failure) {
            showToast(describeError(failure), 'error');
          } finally {
            setBusy(false);
          }
        }}
      >
        {t('run')}
      </Button>
      {answer ? (
        <div class="stack" data-testid="test-run-result">
          {!answer.ok ? <ProblemList problems={answer.errors ?? []} /> : null}
          {answer.ok ? (
            <>
              <Alert kind={answer.outcome === 'success' && !answer.denied && !answer.wouldFail ? 'success' : 'error'}>
                {t('outcome')}: {t(answer.denied ? 'outcomeDenied' : answer.outcome === 'success' ? 'outcomeSuccess' : 'outcomeError')}
                {answer.error ? (
                  <span data-code={answer.error.code}> — {describeProblemAt(answer.error, language, t)}</span>
                ) : null}
                {answer.denied ? ` — ${answer.denied}` : ''}
                {answer.wouldFail ? ` — ${t('wouldFail')}: ${describeScriptProblem(answer.wouldFail, language)}` : ''}
              </Alert>
              <h3>{t('effects')}</h3>
              {answer.wouldApply && answer.wouldApply.length ? (
                <ul>
                  {answer.wouldApply.map((change, i) => (
                    <li key={i}>{describeChange(change, t)}</li>
                  ))}
                </ul>
              ) : (
                <p class="muted">{t('nothing')}</p>
              )}
              {answer.effectsTruncated ? <p class="muted">{t('effectsTruncated')}</p> : null}
              <h3>{t('trace')}</h3>
              <ScriptOutline nodes={outlineOf(ranSource)} trace={answer.trace ?? []} onSelect={onSelect} testId="trace-tree" />
              {answer.traceTruncated ? <p class="muted">{t('traceTruncated')}</p> : null}
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function History({ state, current, onRestored }: { state: ScriptState; current: string; onRestored: (state: ScriptState) => void }) {
  const t = useTranslatorLocal();
  const [compared, setCompared] = useState<ScriptVersionSource | null>(null);
  return (
    <div class="stack">
      <table class="data">
        <thead>
          <tr>
            <th>{t('version')}</th>
            <th>{t('savedAt')}</th>
            <th>{t('savedBy')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {state.versions.map((version) => (
            <tr key={version.version}>
              <td>
                {version.version} {version.applied ? <span class="pill ok">{t('applied')}</span> : null}
              </td>
              <td>{formatDateTime(version.savedAt)}</td>
              <td>{version.savedBy ?? ''}</td>
              <td class="actions">
                <Button variant="secondary" onClick={async () => setCompared(await answerOf(scriptApi.versions[':version'].$get({ param: { version: String(version.version) } })))}>
                  {t('compare')}
                </Button>{' '}
                <Button
                  variant="secondary"
                  onClick={async () => {
                    try {
                      const restored = await answerOf(scriptApi.versions[':version'].restore.$post({ param: { version: String(version.version) } }));
                      showToast(
                        t('restored', {
                          version: version.version,
                          newVersion: restored.script?.version ?? '',
                        }),
                      );
                      onRestored(restored);
                    } catch (failure) {
                      showToast(describeError(failure), 'error');
                    }
                  }}
                >
                  {t('restore')}
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {compared ? (
        <pre class="mono diff" aria-label={`${t('version')} ${compared.version}`}>
          {diffLines(compared.source, current).map((line, i) => (
            <div key={i} class={`diff-${line.kind}`}>
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
              {line.text}
            </div>
          ))}
        </pre>
      ) : null}
    </div>
  );
}

let catalogue: Promise<DesignerCatalogue> | null = null;

/** The engine's declarations, loaded once per page: actions, context variables and the user's fields. */
function loadCatalogue(): Promise<DesignerCatalogue> {
  catalogue ??= Promise.all([answerOf(scriptApi.actions.$get()), answerOf(scriptApi['user-fields'].$get())]).then(
    ([actions, fields]) => ({
      actions: actions.items,
      contextVariables: actions.contextVariables,
      types: actions.types,
      userFields: fields.items,
    }),
  );
  catalogue.catch(() => (catalogue = null));
  return catalogue;
}

/** Completion and hover once the catalogue is there; disposed with the editor. */
function attachScriptLanguage(monaco: Parameters<NonNullable<YamlEditorProps['onMonaco']>>[0]) {
  let registered: { dispose(): void } | null = null;
  let disposed = false;
  void loadCatalogue().then((loaded) => {
    if (!disposed) registered = registerScriptLanguage(monaco, loaded);
  });
  return {
    dispose() {
      disposed = true;
      registered?.dispose();
    },
  };
}
