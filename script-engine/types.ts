/** Shared shapes of the script engine: source locations, errors, the parsed tree and the compiled program. */

export interface Location {
  line: number;
  column: number;
}

export interface ScriptError extends Location {
  /** Stable UPPER_SNAKE code (see README.md, "Errors"). */
  code: string;
  /** The checker's and parser's problems: which one (problems.ts) and its parameters, to render in any language. */
  problem?: string;
  params?: Readonly<Record<string, string | number>>;
  /** In English. */
  message: string;
}

/** The parsed tree: every node keeps where it was written. */
export type Expr =
  | { kind: 'const'; value: string | number | boolean | null; at: Location }
  | { kind: 'var'; name: string; at: Location }
  | { kind: 'list'; items: Expr[]; at: Location }
  | { kind: 'action'; name: string; params: Record<string, Expr>; at: Location; paramAt: Record<string, Location> };

export interface ParsedScript {
  version: number;
  onError: 'deny' | 'continue';
  actions: Expr[];
}

/**
 * The compiled program: plain JSON, stored with the script and run without the YAML. Each node says what it is by
 * a named tag; an action's parameters are named as in its declaration (actions.ts). `formatVersion` changes when
 * this shape does: a stored program of another version is compiled again from its source (worker/scripts).
 */
export type CompiledExpr =
  | { tag: 'const'; value: string | number | boolean | null }
  | { tag: 'var'; name: string }
  | { tag: 'list'; items: CompiledExpr[] }
  | { tag: 'action'; action: string; params: Record<string, CompiledExpr>; line: number; column: number };

export type CompiledAction = Extract<CompiledExpr, { tag: 'action' }>;

export const COMPILED_FORMAT = 'eid-script';
export const COMPILED_FORMAT_VERSION = 2;

export interface CompiledProgram {
  format: typeof COMPILED_FORMAT;
  formatVersion: typeof COMPILED_FORMAT_VERSION;
  onError: 'deny' | 'continue';
  actions: CompiledExpr[];
}

export interface UserFieldInfo {
  name: string;
  writable: boolean;
  type: 'string' | 'boolean';
  description?: string;
}

export interface CompileOptions {
  /** When given, constant office/group ids are checked against them (UNKNOWN_ID). */
  knownOfficeIds?: readonly string[];
  knownGroupIds?: readonly string[];
  /** The fields of Context.User; when given, constant field names are checked (UNKNOWN_FIELD, READ_ONLY_FIELD). */
  userFields?: readonly UserFieldInfo[];
  budgets?: Partial<Budgets>;
}

export interface Budgets {
  /** Source text length in characters. */
  maxSourceChars: number;
  /** Nesting depth of actions and values, in the source and at run time. */
  maxDepth: number;
  /** Actions evaluated in one run (loops included). */
  maxSteps: number;
  /**
   * Work units one run may spend: one per list element built, walked or looped over (shared references counted
   * every time they occur, so structural sharing cannot multiply the cost), one per condition of And/Or, and for
   * each text compared, searched, lowercased or joined one plus one per CHARS_PER_WORK_UNIT characters.
   */
  maxWork: number;
  /** Elements one value may hold, counted at every nesting level, shared references included. */
  maxValueItems: number;
  /** Effects (saves and membership changes) one run may produce. */
  maxEffects: number;
  /** Longest string a run may build or receive. */
  maxStringChars: number;
  /** Longest list a run may build or receive (claim values included). */
  maxListItems: number;
  /** Variables a run may define. */
  maxVariables: number;
  /** Size of a dry run's trace as UTF-8 JSON; the trace stops (traceTruncated) rather than exceed it. */
  maxTraceBytes: number;
}

export type Effect =
  | { kind: 'saveUser'; changes: Record<string, string | boolean> }
  | { kind: 'addToOffice' | 'removeFromOffice'; userId: string; officeId: string }
  | { kind: 'addToGroup' | 'removeFromGroup'; userId: string; groupId: string };

export interface RunContext {
  claims: Record<string, readonly string[]>;
  user: Record<string, string | boolean>;
  userId: string;
}

export interface TraceStep {
  action: string;
  line: number;
  column: number;
  inputs: Record<string, unknown>;
  output: unknown;
}

export interface RunResult {
  outcome: 'success' | 'error';
  error?: ScriptError;
  /** Set when the script ran a Deny action: the sign-in must not complete. */
  denied?: string;
  effects: Effect[];
  /** The user as the script left it (SetValue changes included, saved or not). */
  user: Record<string, string | boolean>;
  steps: number;
  /** Work units spent (see Budgets.maxWork); never more than the budget. */
  work: number;
  trace?: TraceStep[];
  /** With a trace: its size as counted against maxTraceBytes (an upper bound of its UTF-8 JSON length). */
  traceBytes?: number;
  /** The trace reached maxTraceBytes: it holds the steps up to there, the run itself went on. */
  traceTruncated?: boolean;
}
