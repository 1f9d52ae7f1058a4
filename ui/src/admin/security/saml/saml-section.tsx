/**
 * Admin Center > Misc > Security > SAML: the platform-wide SAML settings as YAML in Monaco (completion and hover
 * from the configuration's schema, markers from the server's validator as you type), "Allow Sign In", metadata
 * import, and the two-step change: Save keeps a new version, the restart button in the lower left makes the saved
 * version the active one. The Script Designer sits below.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Alert, Button, Checkbox } from '../../../components/form';
import { Dialog } from '../../../components/layout';
import { lazyPage } from '../../../components/lazy';
import { showToast } from '../../../components/toast';
import type { InferResponseType } from 'hono/client';
import { ApiError } from '../../../lib/api';
import { adminApi, answer } from '../../../lib/api-client';
import { describeFieldIssue } from '../../../lib/error-texts';
import { currentLanguage, describeError, formatDateTime, useLanguage, useTranslator, type Dictionaries } from '../../../lib/i18n';
import { useAnswer } from '../../use-data';
import type { EditorMarker, YamlEditorProps } from '../../monaco/yaml-editor';
import { loadMonaco, loadYamlEditor } from '../../monaco/load';
import { ScriptDesigner } from './script-designer';
import { RefreshIcon } from '../../../components/icons';
import { useUnsavedChangesGuard } from '../../unsaved-changes';

const YamlEditor = lazyPage<YamlEditorProps>(loadYamlEditor);

const MODEL_URI = 'inmemory://eid/saml-config.yaml';
/** monaco-yaml matches schemas to models by glob over the URI's path. */
const MODEL_FILE_MATCH = '**/saml-config.yaml';
const SCHEMA_URI = 'inmemory://eid/saml-config.schema.json';
const VALIDATE_DELAY_MS = 400;

/** GET /api/admin/saml as the SAML admin routes declare it, and one finding of a validation. */
type SamlAdminState = InferResponseType<typeof adminApi.saml.$get, 200>;
type ConfigIssue = InferResponseType<typeof adminApi.saml.validate.$post, 200>['errors'][number];

const strings: Dictionaries = {
  en: {
    title: 'SAML single sign-on',
    intro: 'Users sign in through your identity provider (IdP). Edit the settings below; hover a key for its meaning, press Ctrl+Space for completion.',
    spTitle: 'For the IdP administrator',
    acsUrl: 'Assertion consumer service (HTTP-POST)',
    metadataUrl: 'Service provider metadata',
    loginUrl: 'Start sign-in',
    allowSignIn: 'Allow Sign In',
    allowSignInHint: 'When applied, the sign-in page offers "Sign in with SAML".',
    validate: 'Validate',
    save: 'Save',
    valid: 'The configuration is valid.',
    problems: '{count} problems',
    problemsOne: '1 problem',
    line: 'Line {line}, column {column}',
    unsaved: 'Unsaved changes',
    saved: 'Saved as version {version}. Press the restart button to make it active.',
    active: 'Active: version {version} ({allow}), saved {savedAt}',
    noneActive: 'No configuration is active: SAML sign-in is off.',
    allowed: 'sign-in allowed',
    notAllowed: 'sign-in not allowed',
    differs: 'The saved configuration (version {version}) differs from the active one. It takes effect when you press the restart button in the lower left.',
    certificateExpires: 'The IdP certificate expires on {date}.',
    certificateExpired: 'The IdP certificate expired on {date}: signed responses will be refused.',
    restart: 'Restart',
    restartTitle: 'Apply the saved SAML configuration',
    restartConfirm: 'Version {version} becomes the active configuration for every sign-in from now on. Users signing in at this moment finish with the old settings.',
    apply: 'Apply now',
    cancel: 'Cancel',
    applied: 'Version {version} is active.',
    importTitle: 'Import from IdP metadata',
    importHint: 'Paste the IdP metadata XML or choose the file. Its entity ID, sign-in address and signing certificate replace those in the editor; nothing is saved until you press Save.',
    importButton: 'Import from metadata',
    metadataXml: 'Metadata XML',
    chooseFile: 'Metadata file',
    import: 'Import',
    imported: 'Imported {entityId}. Check the editor, then save.',
  },
  de: {
    title: 'SAML Single Sign-On',
    intro: 'Benutzer melden sich über Ihren Identitätsanbieter (IdP) an. Bearbeiten Sie die Einstellungen unten; zeigen Sie auf einen Schlüssel für seine Bedeutung, Strg+Leertaste vervollständigt.',
    spTitle: 'Für den Administrator des IdP',
    acsUrl: 'Assertion Consumer Service (HTTP-POST)',
    metadataUrl: 'Metadaten des Service Providers',
    loginUrl: 'Anmeldung starten',
    allowSignIn: 'Anmeldung erlauben',
    allowSignInHint: 'Wenn aktiv, bietet die Anmeldeseite „Mit SAML anmelden“ an.',
    validate: 'Prüfen',
    save: 'Speichern',
    valid: 'Die Konfiguration ist gültig.',
    problems: '{count} Probleme',
    problemsOne: '1 Problem',
    line: 'Zeile {line}, Spalte {column}',
    unsaved: 'Ungespeicherte Änderungen',
    saved: 'Als Version {version} gespeichert. Drücken Sie die Neustart-Schaltfläche, um sie zu aktivieren.',
    active: 'Aktiv: Version {version} ({allow}), gespeichert {savedAt}',
    noneActive: 'Keine Konfiguration aktiv: Die SAML-Anmeldung ist aus.',
    allowed: 'Anmeldung erlaubt',
    notAllowed: 'Anmeldung nicht erlaubt',
    differs: 'Die gespeicherte Konfiguration (Version {version}) weicht von der aktiven ab. Sie wird wirksam, wenn Sie die Neustart-Schaltfläche unten links drücken.',
    certificateExpires: 'Das Zertifikat des IdP läuft am {date} ab.',
    certificateExpired: 'Das Zertifikat des IdP ist am {date} abgelaufen: Signierte Antworten werden abgewiesen.',
    restart: 'Neustart',
    restartTitle: 'Gespeicherte SAML-Konfiguration anwenden',
    restartConfirm: 'Version {version} wird ab jetzt für jede Anmeldung die aktive Konfiguration. Wer sich gerade anmeldet, beendet die Anmeldung mit den alten Einstellungen.',
    apply: 'Jetzt anwenden',
    cancel: 'Abbrechen',
    applied: 'Version {version} ist aktiv.',
    importTitle: 'Aus IdP-Metadaten importieren',
    importHint: 'Fügen Sie das Metadaten-XML des IdP ein oder wählen Sie die Datei. Entity-ID, Anmeldeadresse und Signaturzertifikat ersetzen die im Editor; gespeichert wird erst mit „Speichern“.',
    importButton: 'Aus Metadaten importieren',
    metadataXml: 'Metadaten-XML',
    chooseFile: 'Metadaten-Datei',
    import: 'Importieren',
    imported: '{entityId} importiert. Prüfen Sie den Editor und speichern Sie dann.',
  },
};

export interface SamlSectionProps {
  /** Called after a version became the active one, so the page's login methods table shows it without a reload. */
  onApplied?: () => void;
}

export default function SamlSection({ onApplied }: SamlSectionProps) {
  const t = useTranslator(strings);
  const language = useLanguage();
  // The key documentation (hover, completion) comes in the page's language.
  const { data: state, reload } = useAnswer((init) => answer(adminApi.saml.$get({ query: { language } }, { init })), [language]);
  const loadedVersion = useRef<number | null | undefined>(undefined);
  const [yaml, setYaml] = useState<string | null>(null);
  const [revision, setRevision] = useState(0);
  const [allowSignIn, setAllowSignIn] = useState(false);
  const [problems, setProblems] = useState<ConfigIssue[] | null>(null);
  /** Valid settings that weaken sign-in (allowSha1Signatures...): warning markers, never blocking. */
  const [warnings, setWarnings] = useState<ConfigIssue[]>([]);
  const [busy, setBusy] = useState<'save' | 'validate' | null>(null);
  const [importOpen, setImportOpen] = useState(false);
  const [restartOpen, setRestartOpen] = useState(false);

  // The editor starts from the latest saved version (or the template) when a new version arrives; a reload for
  // another language or after an apply keeps what the admin is typing.
  useEffect(() => {
    if (!state || loadedVersion.current === (state.saved?.version ?? null)) return;
    loadedVersion.current = state.saved?.version ?? null;
    setYaml(state.yaml);
    setRevision((r) => r + 1);
    setAllowSignIn(state.saved?.allowSignIn ?? false);
  }, [state]);

  // monaco-yaml completes and explains keys from the server's JSON Schema; it lives in the lazy Monaco chunk.
  useEffect(() => {
    if (!state) return;
    // Registered inline under a plain URI: yaml-language-server normalises ids with vscode-uri, which escapes the
    // colons of the schema's `urn:` $id, finds nothing under it, tries to fetch it and then completes nothing.
    const { $id: _id, ...schema } = state.schema;
    loadMonaco().then(({ setYamlSchemas }) => setYamlSchemas([{ uri: SCHEMA_URI, fileMatch: [MODEL_FILE_MATCH], schema }]));
  }, [state?.schema]);

  // The same validator as Save, as you type (debounced): markers appear at the lines the server names.
  useEffect(() => {
    if (yaml === null) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      validate(yaml, controller.signal).catch(() => undefined);
    }, VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [yaml]);

  const markers: EditorMarker[] = useMemo(
    () => [
      ...(problems ?? []).map((p) => ({ line: p.line, column: p.column, endLine: p.endLine, endColumn: p.endColumn, message: issueText(p) })),
      ...warnings.map((w) => ({ line: w.line, column: w.column, endLine: w.endLine, endColumn: w.endColumn, message: issueText(w), severity: 'warning' as const })),
    ],
    [problems, warnings, language],
  );

  // Before the loading return: a hook runs on every render.
  const dirty = Boolean(state) && yaml !== null && (yaml !== (state?.saved?.yaml ?? state?.yaml) || allowSignIn !== (state?.saved?.allowSignIn ?? false));
  useUnsavedChangesGuard(dirty);

  if (!state || yaml === null) return <div class="loading" aria-busy="true" />;

  async function validate(text: string, signal?: AbortSignal): Promise<boolean> {
    const validation = await answer(adminApi.saml.validate.$post({ json: { yaml: text } }, { init: { signal } }));
    setProblems(validation.errors);
    setWarnings(validation.warnings);
    return validation.ok;
  }

  async function onValidate() {
    setBusy('validate');
    try {
      if (await validate(yaml!)) showToast(t('valid'));
    } catch (failure) {
      showToast(describeError(failure), 'error');
    } finally {
      setBusy(null);
    }
  }

  async function onSave() {
    setBusy('save');
    try {
      // Validate first so the problems are listed even when the save is refused for them.
      if (!(await validate(yaml!))) return;
      const saved = await answer(adminApi.saml.$put({ json: { yaml: yaml!, allowSignIn } }));
      showToast(t('saved', { version: saved.saved?.version ?? '' }));
      reload();
    } catch (failure) {
      const details = failure instanceof ApiError ? (failure.details as { errors?: ConfigIssue[] } | undefined) : undefined;
      if (details?.errors) setProblems(details.errors);
      showToast(describeError(failure), 'error');
    } finally {
      setBusy(null);
    }
  }

  const certificateNotAfter = state.saved?.certificateNotAfter ?? null;

  return (
    <div class="stack">
      <section class="panel stack" aria-labelledby="saml-title">
        <h2 id="saml-title">{t('title')}</h2>
        <p class="muted">{t('intro')}</p>
        <ActiveState state={state} />
        {state.differs && state.saved ? (
          <Alert kind="warning">
            <span data-testid="saml-differs">{t('differs', { version: state.saved.version })}</span>
          </Alert>
        ) : null}
        {certificateNotAfter !== null ? (
          <Alert kind={certificateNotAfter < Date.now() ? 'error' : 'info'}>
            {t(certificateNotAfter < Date.now() ? 'certificateExpired' : 'certificateExpires', { date: formatDateTime(certificateNotAfter) })}
          </Alert>
        ) : null}
        <div class="row">
          <Button variant="secondary" onClick={() => setImportOpen(true)}>
            {t('importButton')}
          </Button>
          <span class="spacer" />
          {dirty ? <span class="muted">{t('unsaved')}</span> : null}
        </div>
        <YamlEditor
          value={yaml}
          revision={revision}
          onChange={setYaml}
          modelUri={MODEL_URI}
          markers={markers}
          markerOwner="saml-config"
          ariaLabel={t('title')}
        />
        <ProblemList problems={problems} />
        {warnings.map((w) => (
          <Alert key={w.path} kind="warning">
            <span data-testid="saml-warning">
              {t('line', { line: w.line, column: w.column })} ({w.path}): {issueText(w)}
            </span>
          </Alert>
        ))}
        <div class="row">
          <Checkbox label={t('allowSignIn')} name="allow-sign-in" checked={allowSignIn} onChecked={setAllowSignIn} />
          <small class="hint">{t('allowSignInHint')}</small>
          <span class="spacer" />
          <Button variant="secondary" busy={busy === 'validate'} onClick={onValidate}>
            {t('validate')}
          </Button>
          <Button busy={busy === 'save'} onClick={onSave}>
            {t('save')}
          </Button>
        </div>
        <ServiceProviderAddresses sp={state.sp} />
      </section>
      <ScriptDesigner />
      <Button class="restart" variant={state.differs ? 'primary' : 'secondary'} disabled={!state.differs} title={t('restartTitle')} onClick={() => setRestartOpen(true)}>
        <RefreshIcon /> {t('restart')}
      </Button>
      <RestartDialog
        open={restartOpen}
        state={state}
        onClose={() => setRestartOpen(false)}
        onApplied={() => {
          reload();
          onApplied?.();
        }}
      />
      <ImportDialog
        open={importOpen}
        currentYaml={yaml}
        onClose={() => setImportOpen(false)}
        onImported={(merged) => {
          setYaml(merged);
          setRevision((r) => r + 1);
          setImportOpen(false);
        }}
      />
    </div>
  );
}

function ActiveState({ state }: { state: SamlAdminState }) {
  const t = useTranslator(strings);
  if (!state.applied) return <p data-testid="saml-active">{t('noneActive')}</p>;
  return (
    <p data-testid="saml-active">
      {t('active', { version: state.applied.version, allow: t(state.applied.allowSignIn ? 'allowed' : 'notAllowed'), savedAt: formatDateTime(state.applied.savedAt) })}
    </p>
  );
}

/** The checker's finding in the page's language: English keeps the server's sentence, which names the value. */
function issueText(issue: ConfigIssue): string {
  return currentLanguage() === 'en' ? issue.message : describeFieldIssue(issue, currentLanguage());
}

function ProblemList({ problems }: { problems: ConfigIssue[] | null }) {
  const t = useTranslator(strings);
  if (problems === null) return null;
  if (problems.length === 0) return <p class="muted" data-testid="saml-problems">{t('valid')}</p>;
  return (
    <div data-testid="saml-problems">
      <strong>{t(problems.length === 1 ? 'problemsOne' : 'problems', { count: problems.length })}</strong>
      <ul class="problems">
        {problems.map((p, i) => (
          <li key={i}>
            {/* Where, then which key, then what: the same order as the script checker's problems. */}
            {t('line', { line: p.line, column: p.column })}
            {p.path ? ` (${p.path})` : ''}: {issueText(p)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ServiceProviderAddresses({ sp }: { sp: SamlAdminState['sp'] }) {
  const t = useTranslator(strings);
  return (
    <details>
      <summary>{t('spTitle')}</summary>
      <dl class="grid-2">
        <dt>{t('acsUrl')}</dt>
        <dd>
          <code>{sp.acsUrl}</code>
        </dd>
        <dt>{t('metadataUrl')}</dt>
        <dd>
          <a href={sp.metadataUrl} target="_blank" rel="noopener">
            {sp.metadataUrl}
          </a>
        </dd>
        <dt>{t('loginUrl')}</dt>
        <dd>
          <code>{sp.loginUrl}</code>
        </dd>
      </dl>
    </details>
  );
}

function RestartDialog(props: { open: boolean; state: SamlAdminState; onClose: () => void; onApplied: () => void }) {
  const t = useTranslator(strings);
  const [busy, setBusy] = useState(false);
  const version = props.state.saved?.version;
  async function apply() {
    setBusy(true);
    try {
      // The version the admin saw is applied, not whatever another admin saved in the meantime.
      const applied = await answer(adminApi.saml.apply.$post({ json: { version } }));
      showToast(t('applied', { version: applied.applied?.version ?? '' }));
      props.onClose();
      props.onApplied();
    } catch (failure) {
      showToast(describeError(failure), 'error');
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog title={t('restartTitle')} open={props.open} onClose={props.onClose}>
      <p>{t('restartConfirm', { version: version ?? '' })}</p>
      <div class="row end">
        <Button variant="secondary" onClick={props.onClose}>
          {t('cancel')}
        </Button>
        <Button busy={busy} onClick={apply}>
          {t('apply')}
        </Button>
      </div>
    </Dialog>
  );
}

function ImportDialog(props: { open: boolean; currentYaml: string; onClose: () => void; onImported: (yaml: string) => void }) {
  const t = useTranslator(strings);
  const [metadata, setMetadata] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const imported = await answer(adminApi.saml['import-metadata'].$post({ json: { metadata, yaml: props.currentYaml } }));
      showToast(t('imported', { entityId: imported.entityId }));
      for (const warning of imported.warnings) showToast(warning, 'error');
      setMetadata('');
      props.onImported(imported.yaml);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t('importTitle')} open={props.open} onClose={props.onClose}>
      <form class="stack" onSubmit={submit}>
        <p class="muted">{t('importHint')}</p>
        <div class="field">
          <label for="saml-metadata-file">{t('chooseFile')}</label>
          <input
            id="saml-metadata-file"
            ref={fileInput}
            type="file"
            accept=".xml,application/xml,application/samlmetadata+xml,text/xml"
            onChange={async (event) => {
              const file = (event.currentTarget as HTMLInputElement).files?.[0];
              if (file) setMetadata(await file.text());
            }}
          />
        </div>
        <div class="field">
          <label for="saml-metadata-xml">{t('metadataXml')}</label>
          <textarea id="saml-metadata-xml" rows={8} value={metadata} onInput={(event) => setMetadata((event.currentTarget as HTMLTextAreaElement).value)} spellcheck={false} />
        </div>
        <Alert>{error}</Alert>
        <div class="row end">
          <Button variant="secondary" onClick={props.onClose}>
            {t('cancel')}
          </Button>
          <Button type="submit" busy={busy} disabled={!metadata.trim()}>
            {t('import')}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
