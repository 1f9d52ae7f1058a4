/** How the value types read to a person, per language: hover lines, completion details and problem texts. */
import type { DocLanguage, ValueType } from './actions';

export const TYPE_NAMES: Readonly<Record<DocLanguage, Readonly<Record<ValueType, string>>>> = {
  en: { any: 'a value', string: 'text', number: 'a number', boolean: 'true or false', list: 'a list', claims: 'the claims', user: 'a user', actions: 'a list of actions', none: 'nothing' },
  de: { any: 'ein Wert', string: 'Text', number: 'eine Zahl', boolean: 'wahr oder falsch', list: 'eine Liste', claims: 'die Claims', user: 'ein Benutzer', actions: 'eine Liste von Aktionen', none: 'nichts' },
};
