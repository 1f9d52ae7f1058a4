/**
 * What the parser, the checker and a run can find wrong with a script, each problem once: its stable code (README.md,
 * "Errors"; several problems share one), and its text in English and German over the problem's parameters. A
 * ScriptError carries `problem` and `params`, so the designer renders it in the page's language
 * (`describeScriptProblem`); its `message` is the English text, for API clients.
 */
import type { DocLanguage, ValueType } from './actions';
import { TYPE_NAMES } from './docs';
import type { Location, ScriptError } from './types';

export type ProblemParams = Readonly<Record<string, string | number>>;
type Text = (params: ProblemParams) => string;

const type = (language: DocLanguage, name: string | number | undefined) => TYPE_NAMES[language][name as ValueType] ?? String(name);
const fieldKind = (language: DocLanguage, kind: string | number | undefined) =>
  kind === 'boolean' ? (language === 'en' ? 'true or false' : 'wahr oder falsch') : language === 'en' ? 'text' : 'Text';
const what = (language: DocLanguage, kind: string | number | undefined) =>
  kind === 'office' ? (language === 'en' ? 'workspace (office)' : 'keinen Arbeitsbereich (Office)') : language === 'en' ? 'group' : 'keine Gruppe';

/** What a YAML syntax error is, told apart by the yaml library's error code (parse.ts). */
export type YamlSyntaxKind = 'unclosed' | 'indent' | 'key' | 'other';
const YAML_SYNTAX_DE: Record<YamlSyntaxKind, string> = {
  unclosed: 'Ein hier geöffnetes Anführungszeichen oder eine Klammer wird nicht geschlossen.',
  indent: 'Die Einrückung stimmt hier nicht (Leerzeichen, keine Tabulatoren).',
  key: 'Ein Schlüssel steht in einer Zeile und hat nach dem Doppelpunkt einen Wert („schlüssel: wert“).',
  other: 'Der Text ist hier nicht wohlgeformt.',
};

const PROBLEMS = {
  sourceTooLarge: {
    code: 'SOURCE_TOO_LARGE',
    en: (p) => `The script is longer than ${p.max} characters.`,
    de: (p) => `Das Skript ist länger als ${p.max} Zeichen.`,
  },
  // `kind` (parse.ts, yamlSyntaxKind) is what German can say; the yaml library's own `detail` is English only.
  yamlSyntax: {
    code: 'YAML_SYNTAX',
    en: (p) => `Not valid YAML: ${p.detail}`,
    de: (p) => `Kein gültiges YAML: ${YAML_SYNTAX_DE[p.kind as YamlSyntaxKind] ?? YAML_SYNTAX_DE.other}`,
  },
  duplicateKey: {
    code: 'DUPLICATE_KEY',
    en: () => 'A key is written twice in the same mapping.',
    de: () => 'Ein Schlüssel steht zweimal in derselben Zuordnung.',
  },
  yamlAliases: {
    code: 'YAML_SYNTAX',
    en: () => 'Anchors and aliases (& and *) are not allowed in scripts.',
    de: () => 'Anker und Aliasse (& und *) sind in Skripten nicht erlaubt.',
  },
  notAScript: {
    code: 'INVALID_SCRIPT',
    en: () => 'A script is a mapping with `version: 1` and a list of `actions`.',
    de: () => 'Ein Skript ist eine Zuordnung mit `version: 1` und einer Liste `actions`.',
  },
  unknownTopLevelKey: {
    code: 'UNKNOWN_FIELD',
    en: (p) => `Unknown top-level key "${p.key}"; expected version, onError and actions.`,
    de: (p) => `Unbekannter Schlüssel „${p.key}“ auf oberster Ebene; erwartet sind version, onError und actions.`,
  },
  unsupportedVersion: {
    code: 'UNSUPPORTED_VERSION',
    en: () => 'Only `version: 1` exists.',
    de: () => 'Es gibt nur `version: 1`.',
  },
  onErrorValue: {
    code: 'WRONG_TYPE',
    en: () => '`onError` is "deny" or "continue".',
    de: () => '`onError` ist „deny“ oder „continue“.',
  },
  actionsNotAList: {
    code: 'WRONG_TYPE',
    en: () => '`actions` is a list of actions.',
    de: () => '`actions` ist eine Liste von Aktionen.',
  },
  missingVersion: {
    code: 'MISSING_PARAMETER',
    en: () => 'The script needs `version: 1`.',
    de: () => 'Das Skript braucht `version: 1`.',
  },
  missingActions: {
    code: 'MISSING_PARAMETER',
    en: () => 'The script needs a list of `actions`.',
    de: () => 'Das Skript braucht eine Liste `actions`.',
  },
  tooDeep: {
    code: 'TOO_DEEP',
    en: (p) => `Actions and values are nested more than ${p.max} levels deep.`,
    de: (p) => `Aktionen und Werte sind tiefer als ${p.max} Ebenen verschachtelt.`,
  },
  notAConstant: {
    code: 'WRONG_TYPE',
    en: () => 'Only text, numbers, true/false and null are constants.',
    de: () => 'Konstanten sind nur Text, Zahlen, true/false und null.',
  },
  variableNeedsName: {
    code: 'WRONG_TYPE',
    en: () => '`var` takes a variable name, e.g. { var: Context.User }.',
    de: () => '`var` nimmt einen Variablennamen, z. B. { var: Context.User }.',
  },
  forbiddenName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a name.`,
    de: (p) => `„${p.name}“ kann nicht als Name verwendet werden.`,
  },
  notAValue: {
    code: 'INVALID_VALUE',
    en: () => 'A value is a constant, a list, { var: name }, or one action such as { GetEntry: { key: ... } }.',
    de: () => 'Ein Wert ist eine Konstante, eine Liste, { var: name } oder eine Aktion wie { GetEntry: { key: ... } }.',
  },
  unknownValue: {
    code: 'INVALID_VALUE',
    en: () => 'This is not a value a script understands.',
    de: () => 'Das ist kein Wert, den ein Skript versteht.',
  },
  forbiddenParameterName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a parameter name.`,
    de: (p) => `„${p.name}“ kann nicht als Parametername verwendet werden.`,
  },
  emptyScript: {
    code: 'EMPTY_SCRIPT',
    en: () => 'The script has no actions: it changes nothing.',
    de: () => 'Das Skript hat keine Aktionen: es ändert nichts.',
  },
  unreachable: {
    code: 'UNREACHABLE',
    en: (p) => `This action can never run: the Deny at line ${p.line} stops the script before it.`,
    de: (p) => `Diese Aktion wird nie ausgeführt: das Deny in Zeile ${p.line} beendet das Skript vorher.`,
  },
  notAnAction: {
    code: 'NOT_AN_ACTION',
    en: () => 'Each entry of an action list is an action, such as `- SetValue: {...}`.',
    de: () => 'Jeder Eintrag einer Aktionsliste ist eine Aktion, etwa `- SetValue: {...}`.',
  },
  stringTooLong: {
    code: 'STRING_TOO_LONG',
    en: (p) => `A text is longer than ${p.max} characters.`,
    de: (p) => `Ein Text ist länger als ${p.max} Zeichen.`,
  },
  unknownVariable: {
    code: 'UNKNOWN_VARIABLE',
    en: (p) => `There is no variable "${p.name}" here. Context variables: ${p.contextVariables}; define others with Let.`,
    de: (p) => `Hier gibt es keine Variable „${p.name}“. Kontextvariablen: ${p.contextVariables}; andere legt Let an.`,
  },
  listTooLong: {
    code: 'LIST_TOO_LONG',
    en: (p) => `A list has more than ${p.max} items.`,
    de: (p) => `Eine Liste hat mehr als ${p.max} Einträge.`,
  },
  noValue: {
    code: 'WRONG_TYPE',
    en: (p) => `${p.action} gives no value; it cannot be used as one.`,
    de: (p) => `${p.action} ergibt keinen Wert; es kann nicht als Wert verwendet werden.`,
  },
  unknownAction: {
    code: 'UNKNOWN_ACTION',
    en: (p) => `There is no action "${p.name}".`,
    de: (p) => `Es gibt keine Aktion „${p.name}“.`,
  },
  unknownParameter: {
    code: 'UNKNOWN_PARAMETER',
    en: (p) => `${p.action} has no parameter "${p.name}"; it takes ${p.parameters}.`,
    de: (p) => `${p.action} hat keinen Parameter „${p.name}“; es nimmt ${p.parameters}.`,
  },
  missingParameter: {
    code: 'MISSING_PARAMETER',
    en: (p) => `${p.action} needs "${p.name}".`,
    de: (p) => `${p.action} braucht „${p.name}“.`,
  },
  notActionList: {
    code: 'WRONG_TYPE',
    en: (p) => `"${p.name}" of ${p.action} is a list of actions.`,
    de: (p) => `„${p.name}“ von ${p.action} ist eine Liste von Aktionen.`,
  },
  emptyBlock: {
    code: 'EMPTY_BLOCK',
    en: (p) => `"${p.name}" of ${p.action} has no actions.`,
    de: (p) => `„${p.name}“ von ${p.action} hat keine Aktionen.`,
  },
  mustBeConstant: {
    code: 'WRONG_TYPE',
    en: (p) => `"${p.name}" of ${p.action} must be written as a constant.`,
    de: (p) => `„${p.name}“ von ${p.action} muss als Konstante geschrieben werden.`,
  },
  wrongType: {
    code: 'WRONG_TYPE',
    en: (p) => `"${p.name}" of ${p.action} must be ${type('en', p.expected)}, not ${type('en', p.actual)}.`,
    de: (p) => `„${p.name}“ von ${p.action} muss ${type('de', p.expected)} sein, nicht ${type('de', p.actual)}.`,
  },
  badVariableName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" is not a usable variable name (letters, digits, _ and .).`,
    de: (p) => `„${p.name}“ ist kein brauchbarer Variablenname (Buchstaben, Ziffern, _ und .).`,
  },
  contextReplaced: {
    code: 'FORBIDDEN_NAME',
    en: () => 'Context variables cannot be replaced.',
    de: () => 'Kontextvariablen können nicht ersetzt werden.',
  },
  forbiddenFieldName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a field name.`,
    de: (p) => `„${p.name}“ kann nicht als Feldname verwendet werden.`,
  },
  unknownUserField: {
    code: 'UNKNOWN_FIELD',
    en: (p) => `The user has no field "${p.name}". Fields: ${p.fields}.`,
    de: (p) => `Der Benutzer hat kein Feld „${p.name}“. Felder: ${p.fields}.`,
  },
  readOnlyField: {
    code: 'READ_ONLY_FIELD',
    en: (p) => `"${p.name}" cannot be changed by a script.`,
    de: (p) => `„${p.name}“ kann von einem Skript nicht geändert werden.`,
  },
  fieldValueType: {
    code: 'WRONG_TYPE',
    en: (p) => `"${p.name}" takes ${fieldKind('en', p.type)}.`,
    de: (p) => `„${p.name}“ nimmt ${fieldKind('de', p.type)}.`,
  },
  unknownId: {
    code: 'UNKNOWN_ID',
    en: (p) => `There is no ${what('en', p.kind)} with id "${p.id}".`,
    de: (p) => `Es gibt ${what('de', p.kind)} mit der ID „${p.id}“.`,
  },
  forbiddenClaimName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a claim name.`,
    de: (p) => `„${p.name}“ kann nicht als Claim-Name verwendet werden.`,
  },
  shortFormCount: {
    code: 'WRONG_TYPE',
    en: (p) => `${p.action} takes named parameters, or the short form with ${p.count} value(s) in a list.`,
    de: (p) => `${p.action} nimmt benannte Parameter oder die Kurzform mit ${p.count} Wert(en) in einer Liste.`,
  },
  namedOnly: {
    code: 'WRONG_TYPE',
    en: (p) => `${p.action} takes named parameters (${p.parameters}).`,
    de: (p) => `${p.action} nimmt benannte Parameter (${p.parameters}).`,
  },
  tooManyErrors: {
    code: 'TOO_MANY_ERRORS',
    en: (p) => `${p.more} more not shown; fix these first.`,
    de: (p) => `${p.more} weitere nicht angezeigt; beheben Sie zuerst diese.`,
  },

  // ---- found while the script runs (run.ts, actions.ts): the test run and a sign-in report them like the checker's
  workBudgetExceeded: {
    code: 'WORK_BUDGET_EXCEEDED',
    en: (p) => `The script needs more than ${p.max} units of work (list elements and text it builds, compares or walks).`,
    de: (p) => `Das Skript braucht mehr als ${p.max} Arbeitseinheiten (Listenelemente und Texte, die es baut, vergleicht oder durchläuft).`,
  },
  stepBudgetExceeded: {
    code: 'STEP_BUDGET_EXCEEDED',
    en: (p) => `The script ran more than ${p.max} actions.`,
    de: (p) => `Das Skript hat mehr als ${p.max} Aktionen ausgeführt.`,
  },
  effectBudgetExceeded: {
    code: 'EFFECT_BUDGET_EXCEEDED',
    en: (p) => `The script produced more than ${p.max} changes.`,
    de: (p) => `Das Skript hat mehr als ${p.max} Änderungen erzeugt.`,
  },
  runTooDeep: {
    code: 'TOO_DEEP',
    en: (p) => `Nesting deeper than ${p.max} levels.`,
    de: (p) => `Tiefer verschachtelt als ${p.max} Ebenen.`,
  },
  listNestedTooDeep: {
    code: 'TOO_DEEP',
    en: (p) => `A list holds lists nested more than ${p.max} levels deep.`,
    de: (p) => `Eine Liste enthält Listen, die tiefer als ${p.max} Ebenen verschachtelt sind.`,
  },
  valueTooLarge: {
    code: 'VALUE_TOO_LARGE',
    en: (p) => `A list would hold ${p.size} elements (lists inside it counted in full each time they occur); at most ${p.max}.`,
    de: (p) => `Eine Liste hätte ${p.size} Elemente (darin enthaltene Listen bei jedem Vorkommen voll gezählt); höchstens ${p.max}.`,
  },
  variableUnset: {
    code: 'UNKNOWN_VARIABLE',
    en: (p) => `The variable "${p.name}" has no value here.`,
    de: (p) => `Die Variable „${p.name}“ hat hier keinen Wert.`,
  },
  runListTooLong: {
    code: 'LIST_TOO_LONG',
    en: (p) => `A list has more than ${p.max} items.`,
    de: (p) => `Eine Liste hat mehr als ${p.max} Einträge.`,
  },
  forEachTooLong: {
    code: 'LIST_TOO_LONG',
    en: (p) => `ForEach over more than ${p.max} items.`,
    de: (p) => `ForEach über mehr als ${p.max} Einträge.`,
  },
  tooManyClaims: {
    code: 'INPUT_TOO_LARGE',
    en: (p) => `More than ${p.max} claims were received.`,
    de: (p) => `Es kamen mehr als ${p.max} Claims an.`,
  },
  claimTooManyValues: {
    code: 'INPUT_TOO_LARGE',
    en: (p) => `The claim "${p.name}" has more than ${p.max} values.`,
    de: (p) => `Der Claim „${p.name}“ hat mehr als ${p.max} Werte.`,
  },
  claimValueNotText: {
    code: 'INPUT_TOO_LARGE',
    en: (p) => `The claim "${p.name}" has a value that is not text.`,
    de: (p) => `Der Claim „${p.name}“ hat einen Wert, der kein Text ist.`,
  },
  claimValueTooLong: {
    code: 'INPUT_TOO_LARGE',
    en: (p) => `A value of the claim "${p.name}" is longer than ${p.max} characters.`,
    de: (p) => `Ein Wert des Claims „${p.name}“ ist länger als ${p.max} Zeichen.`,
  },
  forbiddenVariableName: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a variable name.`,
    de: (p) => `„${p.name}“ kann nicht als Variablenname verwendet werden.`,
  },
  forbiddenFieldNameAtRun: {
    code: 'FORBIDDEN_NAME',
    en: (p) => `"${p.name}" cannot be used as a field name.`,
    de: (p) => `„${p.name}“ kann nicht als Feldname verwendet werden.`,
  },
  tooManyVariables: {
    code: 'TOO_MANY_VARIABLES',
    en: (p) => `More than ${p.max} variables.`,
    de: (p) => `Mehr als ${p.max} Variablen.`,
  },
  notAUser: {
    code: 'WRONG_TYPE',
    en: () => 'This action works on a user, e.g. { var: Context.User }.',
    de: () => 'Diese Aktion arbeitet mit einem Benutzer, z. B. { var: Context.User }.',
  },
  parameterNotText: {
    code: 'WRONG_TYPE',
    en: (p) => `"${p.name}" must be text.`,
    de: (p) => `„${p.name}“ muss Text sein.`,
  },
  fieldTakesBoolean: {
    code: 'WRONG_TYPE',
    en: () => 'This field takes true or false.',
    de: () => 'Dieses Feld nimmt wahr oder falsch.',
  },
  fieldTakesOneText: {
    code: 'WRONG_TYPE',
    en: () => 'This field takes one text, but the value is a list of several; pick one with `index`.',
    de: () => 'Dieses Feld nimmt einen Text, der Wert ist aber eine Liste mit mehreren; wählen Sie einen mit `index`.',
  },
  textExpected: {
    code: 'WRONG_TYPE',
    en: () => 'A text was expected here, not a list, the claims or a user.',
    de: () => 'Hier wird ein Text erwartet, keine Liste, keine Claims und kein Benutzer.',
  },
  runTextTooLong: {
    code: 'STRING_TOO_LONG',
    en: (p) => `A text is longer than ${p.max} characters.`,
    de: (p) => `Ein Text ist länger als ${p.max} Zeichen.`,
  },
  concatTooLong: {
    code: 'STRING_TOO_LONG',
    en: (p) => `Concat built a text longer than ${p.max} characters.`,
    de: (p) => `Concat hat einen Text gebaut, der länger als ${p.max} Zeichen ist.`,
  },
  getEntryNeedsClaims: {
    code: 'WRONG_TYPE',
    en: () => 'GetEntry reads claims, e.g. { var: Context.Claims }.',
    de: () => 'GetEntry liest Claims, z. B. { var: Context.Claims }.',
  },
  indexNotWhole: {
    code: 'WRONG_TYPE',
    en: () => '`index` is a whole number.',
    de: () => '`index` ist eine ganze Zahl.',
  },
  userFieldMissing: {
    code: 'UNKNOWN_FIELD',
    en: (p) => `The user has no field "${p.name}".`,
    de: (p) => `Der Benutzer hat kein Feld „${p.name}“.`,
  },
  invalidProgram: {
    code: 'INVALID_PROGRAM',
    en: (p) => `The stored program cannot be run (${p.detail}); save the script again.`,
    de: (p) => `Das gespeicherte Programm lässt sich nicht ausführen (${p.detail}); speichern Sie das Skript erneut.`,
  },
  engineFault: {
    code: 'INTERNAL',
    en: (p) => `The script engine failed: ${p.detail}`,
    de: (p) => `Die Skript-Engine ist gescheitert: ${p.detail}`,
  },
  // Applying a run's effects to the database as it is now (worker/scripts/service.ts): the test run's "would fail"
  userFieldTooLong: {
    code: 'STRING_TOO_LONG',
    en: (p) => `The user field "${p.name}" takes text of at most ${p.max} characters.`,
    de: (p) => `Das Benutzerfeld „${p.name}“ nimmt Text mit höchstens ${p.max} Zeichen.`,
  },
  userFieldNotEmail: {
    code: 'INVALID_VALUE',
    en: (p) => `The user field "${p.name}" takes an email address.`,
    de: (p) => `Das Benutzerfeld „${p.name}“ nimmt eine E-Mail-Adresse.`,
  },
  userFieldLanguage: {
    code: 'INVALID_VALUE',
    en: (p) => `The user field "${p.name}" takes "de" or "en".`,
    de: (p) => `Das Benutzerfeld „${p.name}“ nimmt „de“ oder „en“.`,
  },
  userFieldNotBoolean: {
    code: 'WRONG_TYPE',
    en: (p) => `The user field "${p.name}" takes true or false.`,
    de: (p) => `Das Benutzerfeld „${p.name}“ nimmt wahr oder falsch.`,
  },
  emailOfAnotherAccount: {
    code: 'INVALID_VALUE',
    en: () => 'The email address belongs to another account.',
    de: () => 'Die E-Mail-Adresse gehört zu einem anderen Konto.',
  },
  membershipsOfAnotherUser: {
    code: 'INVALID_VALUE',
    en: (p) => `The script tried to change the memberships of another user (${p.id}).`,
    de: (p) => `Das Skript wollte die Mitgliedschaften eines anderen Benutzers ändern (${p.id}).`,
  },
} satisfies Record<string, { code: string } & Record<DocLanguage, Text>>;

export type ScriptProblem = keyof typeof PROBLEMS;

/** Each problem's text per language, for a designer that renders `{ problem, params }` itself. */
export const SCRIPT_PROBLEM_TEXTS: Readonly<Record<DocLanguage, Readonly<Record<ScriptProblem, Text>>>> = {
  en: Object.fromEntries(Object.entries(PROBLEMS).map(([name, entry]) => [name, entry.en])) as Record<ScriptProblem, Text>,
  de: Object.fromEntries(Object.entries(PROBLEMS).map(([name, entry]) => [name, entry.de])) as Record<ScriptProblem, Text>,
};

export function isScriptProblem(name: unknown): name is ScriptProblem {
  return typeof name === 'string' && Object.hasOwn(PROBLEMS, name);
}

/** A problem in the given language; one this bundle does not know (a newer server) keeps the server's English. */
export function describeScriptProblem(error: { problem?: string; params?: ProblemParams; message?: string }, language: DocLanguage): string {
  return isScriptProblem(error.problem) ? PROBLEMS[error.problem][language](error.params ?? {}) : (error.message ?? '');
}

/** A problem found outside the source (applying a run's effects): its code, its parameters and its English message. */
export interface ProblemReport {
  code: string;
  problem: ScriptProblem;
  params: ProblemParams;
  message: string;
}

export function problemReport(problem: ScriptProblem, params: ProblemParams = {}): ProblemReport {
  const entry: { code: string; en: Text } = PROBLEMS[problem];
  return { code: entry.code, problem, params, message: entry.en(params) };
}

/** The ScriptError for a problem at a location: its code, its parameters and its English message. */
export function scriptProblem(problem: ScriptProblem, params: ProblemParams, where: Location): ScriptError {
  return { ...problemReport(problem, params), line: where.line, column: where.column };
}
