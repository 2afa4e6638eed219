import { describe, expect, it } from 'vitest';
import { checkFormat, csvField, FORMATS } from './listing.js';

describe('csvField', () => {
  it('quotes per RFC 4180', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula, and leaves numbers alone', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const lead of ['+', '-', '@', '\t', '\r']) expect(csvField(`${lead}cmd`).replace(/^"|"$/g, '')).toBe(`'${lead}cmd`);
    expect(csvField(-0.5)).toBe('-0.5');
    expect(csvField('magnitude')).toBe('magnitude');
  });
});

describe('checkFormat', () => {
  it("defaults to the command's first format and refuses one it does not write, listing those it does", () => {
    expect(checkFormat(undefined)).toBe('table');
    expect(checkFormat(undefined, ['csv', 'json'])).toBe('csv');
    for (const f of FORMATS) expect(checkFormat(f)).toBe(f);
    expect(() => checkFormat('markdown', ['table', 'json'])).toThrow('--format: unknown format (got "markdown"). Use one of: table, json');
    expect(() => checkFormat('xml')).toThrow('Use one of: table, markdown, csv, json');
  });
});
