/**
 * A Monaco YAML editor for the designers (SAML configuration, sign-in scripts). Default export so pages can load it
 * lazily: Monaco arrives only when a designer is opened.
 *
 * `markers` come from our own validators (the same code the server runs) and are shown at their lines;
 * `schemaUri` ties the model to a JSON schema registered with monaco-yaml for completion and hover;
 * `onMonaco` lets a page register extra providers (the script designer's action completion).
 */
import { useEffect, useRef } from 'preact/hooks';
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
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const applyingOutsideChange = useRef(false);

  useEffect(() => {
    const uri = monaco.Uri.parse(props.modelUri);
    const model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(props.value, 'yaml', uri);
    if (model.getValue() !== props.value) model.setValue(props.value);
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
    editorRef.current = editor;
    const subscription = model.onDidChangeContent(() => {
      if (!applyingOutsideChange.current) onChange.current(model.getValue());
    });
    const extra = props.onMonaco?.(monaco, editor);
    props.onEditor?.(editor);
    return () => {
      subscription.dispose();
      extra?.dispose();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
    };
  }, [props.modelUri]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model || props.revision === undefined || model.getValue() === props.value) return;
    applyingOutsideChange.current = true;
    try {
      model.setValue(props.value);
    } finally {
      applyingOutsideChange.current = false;
    }
  }, [props.revision]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
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
  }, [props.markers]);

  return <div class="editor-host" ref={host} />;
}
