/**
 * A date (optionally with a time) typed in the page's language. The browser's own date controls show the
 * browser's format, not the page's (mm/dd/yyyy on a German page in an English browser), so the field is text with
 * the format stated: TT.MM.JJJJ in German, YYYY-MM-DD in English; either form is understood in both languages.
 */
import { useState } from 'preact/hooks';
import { useTranslator } from '../lib/i18n';
import { dateFieldStrings } from './date-field-strings';
import { TextField } from './form';

/** A typed date read as local time: `start` is its first millisecond, `end` the first one after it (the end of the day, or of the minute typed). */
export interface TypedDate {
  start: number;
  end: number;
}

const GERMAN = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const TIME = /^(\d{1,2}):(\d{2})$/;

/** The date typed, null when nothing is typed, or 'invalid'. `withTime`: a time HH:MM may follow the date. */
export function parseTypedDate(text: string, withTime: boolean): TypedDate | null | 'invalid' {
  const [datePart, timePart, ...rest] = text.trim().split(/\s+/);
  if (!datePart) return null;
  if (rest.length > 0 || (timePart !== undefined && !withTime)) return 'invalid';
  const german = GERMAN.exec(datePart);
  const iso = ISO.exec(datePart);
  const [year, month, day] = german ? [german[3], german[2], german[1]].map(Number) : iso ? [iso[1], iso[2], iso[3]].map(Number) : [];
  if (year === undefined || month === undefined || day === undefined) return 'invalid';
  const time = timePart === undefined ? null : TIME.exec(timePart);
  if (timePart !== undefined && !time) return 'invalid';
  const [hours, minutes] = time ? [Number(time[1]), Number(time[2])] : [0, 0];
  if (hours > 23 || minutes > 59) return 'invalid';
  const start = new Date(year, month - 1, day, hours, minutes);
  // new Date rolls 31.02. over into March: a date that is not on the calendar is refused, not moved.
  if (start.getFullYear() !== year || start.getMonth() !== month - 1 || start.getDate() !== day) return 'invalid';
  const end = time ? new Date(year, month - 1, day, hours, minutes + 1) : new Date(year, month - 1, day + 1);
  return { start: start.getTime(), end: end.getTime() };
}

/**
 * The field; `error` is a refusal from elsewhere (the server's), shown when the text itself is a date. A text that
 * is no date is said when the person leaves the field, or at once with `revealInvalid` (the form was submitted).
 */
export function DateField(props: {
  label: string;
  name: string;
  value: string;
  onValue: (value: string) => void;
  withTime?: boolean;
  error?: string;
  errorPath?: string;
  revealInvalid?: boolean;
}) {
  const t = useTranslator(dateFieldStrings);
  const withTime = props.withTime ?? false;
  // Said once the person leaves the field, not at every keystroke of a date still being typed.
  const [left, setLeft] = useState(false);
  const invalid = (left || props.revealInvalid) && parseTypedDate(props.value, withTime) === 'invalid';
  return (
    <TextField
      label={props.label}
      name={props.name}
      errorPath={props.errorPath}
      value={props.value}
      onValue={(value) => {
        setLeft(false);
        props.onValue(value);
      }}
      onBlur={() => setLeft(true)}
      autocomplete="off"
      placeholder={t(withTime ? 'dateTimeFormat' : 'dateFormat')}
      hint={t(withTime ? 'dateTimeHint' : 'dateHint')}
      error={invalid ? t(withTime ? 'dateTimeInvalid' : 'dateInvalid') : props.error}
    />
  );
}
