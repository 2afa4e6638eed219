import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { BASE, at, link, put, run, sweepText, type BadInput } from '../case.js';

/** Nine aliases of nine aliases, six deep: 9^6 values from a few hundred bytes ("billion laughs"). */
const LAUGHS = [
  'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...'bcdef'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`),
].join('\n');

/** The sweep file itself: its bytes, its YAML, and what kind of file it is. */
export const yamlCases: BadInput[] = [
  { name: 'a missing sweep file', args: ['run', 'nope.yaml'], message: /error\[E_FILE_NOT_FOUND\]: nope\.yaml: file not found/ },
  { name: 'an empty file', setup: sweepText(''), args: run(), message: /sweep\.yaml: the sweep file is empty\. Give at least dataset/ },
  { name: 'only a comment', setup: sweepText('# TODO\n'), args: run(), message: /the sweep file is empty/ },
  { name: 'only a document marker', setup: sweepText('---\n...\n'), args: run(), message: /the sweep file is empty/ },
  {
    name: 'a scalar instead of a mapping',
    setup: sweepText('hello\n'),
    args: run(),
    message: new RegExp(`${at(1, 1)}a sweep file must be a mapping of keys to values, not the string "hello"`),
  },
  {
    name: 'a list instead of a mapping',
    setup: sweepText('- dataset: mnist\n'),
    args: run(),
    message: /sweep\.yaml:1:1: a sweep file must be a mapping of keys to values, not a list/,
  },
  {
    name: 'an unclosed bracket',
    setup: sweepText(BASE.replace('[0.5, 0.9] }', '[0.5, 0.9 }')),
    args: run(),
    message: /error\[E_YAML_PARSE\]: sweep\.yaml:\d+:\d+: invalid YAML: .*\. Fix the YAML syntax/,
  },
  { name: 'a tab for indentation', setup: sweepText(`${BASE}grid:\n\tscorer: [random]\n`), args: run(), message: /sweep\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'a duplicate key', setup: sweepText(`${BASE}scorer: random\n`), args: run(), message: /sweep\.yaml:8:1: invalid YAML: Map keys must be unique/ },
  {
    name: 'two documents in one file',
    setup: sweepText(`${BASE}---\nname: second\n`),
    args: run(),
    message: /sweep\.yaml:8:1: invalid YAML: Source contains multiple documents/,
  },
  {
    name: 'an undefined alias',
    setup: sweepText(BASE.replace('scorer: magnitude', 'scorer: *best')),
    args: run(),
    message: new RegExp(`${at(4, 9)}alias \\*best refers to no anchor\\. Define &best`),
  },
  {
    name: 'an alias bomb (billion laughs)',
    setup: sweepText(`${LAUGHS}\n${BASE}`),
    args: run(),
    message: /sweep\.yaml:2:\d+: aliases expand more than 100 times \(an alias bomb\)\. Write the values out/,
  },
  {
    name: 'an unknown tag',
    setup: sweepText(BASE.replace('scorer: magnitude', 'scorer: !pick magnitude')),
    args: run(),
    message: new RegExp(`${at(4, 9)}unknown YAML tag !pick\\. Remove the tag`),
  },
  {
    name: 'a code-execution tag (PyYAML style)',
    setup: sweepText(BASE.replace('scorer: magnitude', 'scorer: !!python/object/apply:os.system [touch PWNED]')),
    args: run(),
    message: /sweep\.yaml:4:9: unknown YAML tag !!python\/object\/apply:os\.system/,
  },
  {
    name: 'a YAML 1.1 binary tag',
    setup: sweepText(BASE.replace('name: bad-input', 'name: !!binary YmFkLWlucHV0')),
    args: run(),
    message: /sweep\.yaml:1:7: unknown YAML tag !!binary/,
  },
  { name: 'a YAML 1.1 set', setup: sweepText(`${BASE}description: !!set { a, b }\n`), args: run(), message: /sweep\.yaml:8:14: unknown YAML tag !!set/ },
  { name: 'a timestamp tag', setup: sweepText(`${BASE}description: !!timestamp 2001-12-14\n`), args: run(), message: /unknown YAML tag !!timestamp/ },
  { name: 'an unknown directive', setup: sweepText(`%FOO bar\n---\n${BASE}`), args: run(), message: /sweep\.yaml:1:1: invalid YAML: Unknown directive %FOO/ },
  {
    name: 'brackets nested 100,000 deep',
    setup: sweepText(`description: ${'['.repeat(100000)}\n`),
    args: run(),
    message: /sweep\.yaml:1:\d+: invalid YAML: nested too deeply to read/,
  },
  {
    name: 'a NUL byte in a value',
    setup: sweepText(BASE.replace('scorer: magnitude', 'scorer: magni\0tude')),
    args: run(),
    message: /sweep\.yaml:4:9: scorer: unknown scorer "magni\\u0000tude"/,
  },
  {
    name: 'binary garbage',
    setup: (d) => put(d, 'sweep.yaml', new Uint8Array(Array.from({ length: 512 }, (_, i) => (i * 151 + 7) % 256))),
    args: run(),
    message: /sweep\.yaml(:\d+:\d+)?: (invalid YAML|a sweep file must be a mapping)/,
  },
  {
    name: 'a 2 MiB file',
    setup: sweepText(`${BASE}${'#'.repeat(2 * 1024 * 1024)}\n`),
    args: run(),
    message: /sweep\.yaml: cannot read this as a YAML file: it is 2\.0 MiB, more than the 1 MiB limit/,
  },
  {
    name: 'a folder as the sweep file',
    setup: (d) => mkdirSync(join(d, 'sweep.yaml')),
    args: run(),
    message: /sweep\.yaml: cannot read this as a YAML file: it is a folder, not a file/,
  },
  {
    name: '/dev/zero as the sweep file',
    args: ['run', '/dev/zero'],
    message: /\/dev\/zero: cannot read this as a YAML file: it is a character device, not a regular file/,
  },
  {
    name: 'a symlink to /dev/zero as the sweep file',
    setup: (d) => link(d, 'sweep.yaml', '/dev/zero'),
    args: run(),
    message: /sweep\.yaml: cannot read this as a YAML file: it is a character device/,
  },
  {
    name: 'a named pipe as the sweep file (an open would block)',
    setup: (d) => execFileSync('mkfifo', [join(d, 'sweep.yaml')]),
    args: run(),
    message: /sweep\.yaml: cannot read this as a YAML file: it is a named pipe/,
  },
  {
    name: 'a symlink loop as the sweep file',
    setup: (d) => link(d, 'sweep.yaml', 'sweep.yaml'),
    args: run(),
    message: /sweep\.yaml: cannot read this as a YAML file: it cannot be read \(ELOOP\)/,
  },
  {
    name: 'a path through a file',
    setup: sweepText(BASE),
    args: ['run', 'sweep.yaml/inner.yaml'],
    message: /E_FILE_NOT_FOUND\]: sweep\.yaml\/inner\.yaml: file not found/,
  },
  { name: 'a __proto__ key', setup: sweepText(`${BASE}__proto__: { scorer: random }\n`), args: run(), message: /"__proto__" cannot be a config key/ },
  // extends: every file-level problem is reported at the extends entry that names the file.
  {
    name: 'extends: a missing file',
    setup: sweepText(`extends: [base/none.yaml]\n${BASE}`),
    args: run(),
    message: /sweep\.yaml:1:11: extends\[0\]: base config "base\/none\.yaml" not found; looked for .*base\/none\.yaml.*\. Give a path relative to/,
  },
  {
    name: 'extends: a folder',
    setup: (d) => (mkdirSync(join(d, 'base')), put(d, 'sweep.yaml', `extends: base\n${BASE}`)),
    args: run(),
    message: /sweep\.yaml:1:10: extends: base config .*base is a folder, not a file/,
  },
  {
    name: 'extends: /dev/zero',
    setup: sweepText(`extends: /dev/zero\n${BASE}`),
    args: run(),
    message: /sweep\.yaml:1:10: extends: base config \/dev\/zero is a character device, not a regular file/,
  },
  {
    name: 'extends: a list, not a mapping',
    setup: (d) => (put(d, 'base.yaml', '- a\n- b\n'), put(d, 'sweep.yaml', `extends: [base.yaml]\n${BASE}`)),
    args: run(),
    message: /sweep\.yaml:1:11: extends\[0\]: base config .*base\.yaml must be a mapping of keys to values, not a list/,
  },
  {
    name: 'extends: a scalar file',
    setup: (d) => (put(d, 'base.yaml', '42\n'), put(d, 'sweep.yaml', `extends: [base.yaml]\n${BASE}`)),
    args: run(),
    message: /sweep\.yaml:1:11: extends\[0\]: base config .*base\.yaml must be a mapping of keys to values, not the number 42/,
  },
  {
    name: 'extends: itself (a cycle)',
    setup: sweepText(`extends: [sweep.yaml]\n${BASE}`),
    args: run(),
    message: /sweep\.yaml:1:11: extends\[0\]: extends cycle: .*sweep\.yaml -> .*sweep\.yaml/,
  },
  {
    name: 'extends: a number',
    setup: sweepText(`extends: [3]\n${BASE}`),
    args: run(),
    message: /sweep\.yaml:1:11: extends\[0\]: extends entries must be file paths \(got 3\)/,
  },
  {
    name: 'extends: a base file with invalid YAML',
    setup: (d) => (put(d, 'base.yaml', 'a: [\n'), put(d, 'sweep.yaml', `extends: [base.yaml]\n${BASE}`)),
    args: run(),
    message: /base\.yaml:\d+:\d+: invalid YAML/,
  },
  {
    name: 'extends: a base file with an alias bomb',
    setup: (d) => (put(d, 'base.yaml', `${LAUGHS}\n`), put(d, 'sweep.yaml', `extends: [base.yaml]\n${BASE}`)),
    args: run(),
    message: /base\.yaml:2:\d+: aliases expand more than 100 times/,
  },
  {
    name: 'extends: a base file with an unknown key',
    setup: (d) => (put(d, 'base.yaml', 'trian: { epochs: 1 }\n'), put(d, 'sweep.yaml', `extends: [base.yaml]\n${BASE}`)),
    args: run(),
    message: /unknown key "trian"/,
  },
];
