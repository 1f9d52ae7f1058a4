/**
 * A Monaco YAML editor for the designers (SAML configuration, sign-in scripts). Default export so pages can load it
 * lazily: Monaco arrives only when a designer is opened.
 *
 * `markers` come from our own validators (the same code the server runs) and are shown at their lines;
 * `schemaUri` ties the model to a JSON schema registered with monaco-yaml for completion and hover;
 * `onMonaco` lets a page register extra providers (the script designer's action completion); it runs again for
 * the editor built anew after a language switch.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLanguage } from '../../lib/i18n';
import { setMonacoTexts } from './load';
import { monaco } from './monaco';

export interface EditorMarker {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  message: string;
  severity?: 'error' | 'warning';
}

export interface YamlEditorProps {
  /** The text at mount, and again whenever `revision` changes (a load, a restore, an import). */
  value: string;
  /**
   * Bump to replace the editor's text with `value`. Typing never comes back through `value`: a render may carry
   * an older value than the editor already has, and writing it back would fight the keyboard.
   */
  revision?: number;
  onChange: (value: string) => void;
  /** The model's URI; monaco-yaml matches schemas by it (fileMatch). */
  modelUri: string;
  markers?: EditorMarker[];
  /** Owner name of our markers, so monaco-yaml's own markers are kept separately. */
  markerOwner?: string;
  readOnly?: boolean;
  ariaLabel: string;
  onMonaco?: (api: typeof monaco, editor: monaco.editor.IStandaloneCodeEditor) => monaco.IDisposable | void;
  /** Gives the page a way to insert text at the cursor (the inline actions of the script designer). */
  onEditor?: (editor: monaco.editor.IStandaloneCodeEditor) => void;
}

export default function YamlEditor(props: YamlEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const applyingOutsideChange = useRef(false);
  const [model, setModel] = useState<monaco.editor.ITextModel | null>(null);
  /** The language Monaco's own texts are in: the page's, once its table is in place (load.ts). */
  const pageLanguage = useLanguage();
  const [textsLanguage, setTextsLanguage] = useState(pageLanguage);
  const viewState = useRef<monaco.editor.ICodeEditorViewState | null>(null);

  useEffect(() => {
    let current = true;
    void setMonacoTexts(pageLanguage).then(() => current && setTextsLanguage(pageLanguage));
    return () => void (current = false);
  }, [pageLanguage]);

  // The model holds the text and its undo history; it lives as long as the page edits this URI.
  useEffect(() => {
    const uri = monaco.Uri.parse(props.modelUri);
    const created = monaco.editor.getModel(uri) ?? monaco.editor.createModel(props.value, 'yaml', uri);
    if (created.getValue() !== props.value) created.setValue(props.value);
    const subscription = created.onDidChangeContent(() => {
      if (!applyingOutsideChange.current) onChange.current(created.getValue());
    });
    setModel(created);
    return () => {
      subscription.dispose();
      created.dispose();
      viewState.current = null;
      setModel(null);
    };
  }, [props.modelUri]);

  // The editor is built again when the language changes: on the same model (the unsaved text and its undo history)
  // with the cursor, selection and scroll position it had, so its find, suggest and hover widgets speak the new one.
  useEffect(() => {
    if (!model) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const editor = monaco.editor.create(host.current!, {
      model,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      tabSize: 2,
      insertSpaces: true,
      scrollBeyondLastLine: false,
      readOnly: props.readOnly,
      ariaLabel: props.ariaLabel,
      theme: dark ? 'vs-dark' : 'vs',
      quickSuggestions: { other: true, comments: false, strings: true },
      // Suggestions opened by a trigger character (the space after `- ` or `key:`) preselect nothing, so Enter
      // stays a line break; once the admin types a word, the best match is selected and Enter takes it.
      suggest: { selectionMode: 'whenQuickSuggestion' },
      // The hidden-textarea input path instead of Chromium's EditContext API: the same typing experience, and it
      // works with every input method, password managers' text insertion and browser automation alike.
      editContext: false,
    });
    if (viewState.current) editor.restoreViewState(viewState.current);
    const extra = props.onMonaco?.(monaco, editor);
    props.onEditor?.(editor);
    return () => {
      viewState.current = editor.saveViewState();
      extra?.dispose();
      editor.dispose();
    };
  }, [model, textsLanguage]);

  useEffect(() => {
    if (!model || props.revision === undefined || model.getValue() === props.value) return;
    applyingOutsideChange.current = true;
    try {
      model.setValue(props.value);
    } finally {
      applyingOutsideChange.current = false;
    }
  }, [props.revision]);

  useEffect(() => {
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      props.markerOwner ?? 'eid',
      (props.markers ?? []).map((marker) => ({
        startLineNumber: Math.max(1, marker.line),
        startColumn: Math.max(1, marker.column),
        endLineNumber: Math.max(1, marker.endLine ?? marker.line),
        endColumn: marker.endColumn ?? model.getLineMaxColumn(Math.min(model.getLineCount(), Math.max(1, marker.endLine ?? marker.line))),
        message: marker.message,
        severity: marker.severity === 'warning' ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Error,
      })),
    );
  }, [props.markers, model]);

  return <div class="editor-host" ref={host} />;
}
