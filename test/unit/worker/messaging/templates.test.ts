import { describe, expect, it } from 'vitest';
import { formatValidity, GATEWAY_PLACEHOLDERS, measureSms, MESSAGE_PLACEHOLDERS, renderTemplate, scanTemplate, validateTemplate } from '../../../../worker/messaging/templates';

describe('template validation', () => {
  it('accepts the four placeholders, with or without spaces inside the braces', () => {
    expect(validateTemplate('{{code}} {{ name }} {{link}} {{validity}}', MESSAGE_PLACEHOLDERS)).toEqual([]);
  });

  it('lists every unknown placeholder with its line and column', () => {
    const problems = validateTemplate('Hello {{nmae}},\nyour code: {{code}}\n  {{pin}}', MESSAGE_PLACEHOLDERS);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ kind: 'unknown_placeholder', placeholder: 'nmae', index: 6, line: 1, column: 7 });
    expect(problems[1]).toMatchObject({ kind: 'unknown_placeholder', placeholder: 'pin', line: 3, column: 3 });
    expect(problems[1]!.message).toContain('line 3, column 3');
  });

  it('reports an unclosed placeholder instead of sending "{{code" to users', () => {
    const problems = validateTemplate('Code: {{code', MESSAGE_PLACEHOLDERS);
    expect(problems).toEqual([expect.objectContaining({ kind: 'unclosed_placeholder', line: 1, column: 7 })]);
    expect(validateTemplate('{{code {{name}}', MESSAGE_PLACEHOLDERS)[0]).toMatchObject({ kind: 'unclosed_placeholder', index: 0 });
  });

  it('requires one of the required placeholders', () => {
    expect(validateTemplate('Welcome!', MESSAGE_PLACEHOLDERS, ['code'])).toEqual([expect.objectContaining({ kind: 'missing_placeholder' })]);
    expect(validateTemplate('Open {{link}}', MESSAGE_PLACEHOLDERS, ['code', 'link'])).toEqual([]);
  });

  it('keeps gateway and message placeholders apart', () => {
    expect(validateTemplate('{"to":"{{phone}}","text":"{{text}}"}', GATEWAY_PLACEHOLDERS)).toEqual([]);
    expect(validateTemplate('{{code}}', GATEWAY_PLACEHOLDERS)[0]).toMatchObject({ placeholder: 'code' });
  });
});

describe('rendering', () => {
  it('fills placeholders literally', () => {
    expect(renderTemplate('{{ code }} is your code, {{name}}', { code: '042917', name: 'Jörg <b>' })).toBe('042917 is your code, Jörg <b>');
  });

  it('drops a line whose placeholder has no value, keeps the others', () => {
    const template = 'Code: {{code}}\nOr open this link: {{link}}\n\nBye';
    expect(renderTemplate(template, { code: '1' })).toBe('Code: 1\n\nBye');
    expect(renderTemplate(template, { code: '1', link: 'https://x.test/r' })).toBe('Code: 1\nOr open this link: https://x.test/r\n\nBye');
  });

  it('encodes values for their context', () => {
    expect(renderTemplate('https://gw.test/send?to={{phone}}&m={{text}}', { phone: '+4915', text: 'a b&c' }, { allowed: GATEWAY_PLACEHOLDERS, encode: encodeURIComponent })).toBe(
      'https://gw.test/send?to=%2B4915&m=a%20b%26c',
    );
  });

  it('refuses to render a template with unknown placeholders', () => {
    expect(() => renderTemplate('{{secret}}', {})).toThrow(/unknown placeholder/);
  });

  it('writes validity in the user language', () => {
    expect(formatValidity(10 * 60_000, 'de')).toBe('10 Minuten');
    expect(formatValidity(10 * 60_000, 'en')).toBe('10 minutes');
    expect(formatValidity(60_000, 'de')).toBe('1 Minute');
    expect(formatValidity(3 * 60 * 60_000, 'en')).toBe('3 hours');
  });
});

describe('SMS length', () => {
  it('counts German text as GSM-7 (umlauts are in the GSM alphabet) and Cyrillic as UCS-2', () => {
    expect(measureSms('Ihr Bestätigungscode: 123456. Gültig für 10 Minuten.')).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(measureSms('Ваш код 123456')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(measureSms('x'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(measureSms('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(measureSms('ж'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
  });

  it('splits the scan into text and placeholders', () => {
    expect(scanTemplate('a{{code}}b', MESSAGE_PLACEHOLDERS).parts).toEqual([
      { kind: 'text', text: 'a' },
      { kind: 'placeholder', name: 'code' },
      { kind: 'text', text: 'b' },
    ]);
  });
});
