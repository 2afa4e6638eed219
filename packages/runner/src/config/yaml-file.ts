import { fileProblem, formatBytes, PrunelabError, readRegularFile } from '@prunelab/core';
import { LineCounter, parseDocument, isNode, isAlias, visit, type Document, type Node } from 'yaml';

/** A parsed YAML file that can say where a key path is (for file:line:column errors). */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly data: unknown;
  locate(path: ReadonlyArray<PropertyKey>): { line: number; column: number } | undefined;
}

/** A sweep or base config larger than this is a wrong file, not a config (quickstart.yaml is about 1 KiB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * How often aliases may be expanded while the document becomes data. The yaml
 * library's own default is 100; a sweep file needs a handful, and a small
 * limit stops "billion laughs" alias bombs long before they cost memory.
 */
const MAX_ALIAS_COUNT = 100;

/** The tags of YAML 1.2's core schema: plain data. Anything else (!!binary, !!set, !foo) is refused. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** Why `file` is not a readable config file, or undefined. Exported so `extends:` can report it at the entry that names it. */
export function configFileProblem(file: string): string | undefined {
  return fileProblem(file, MAX_CONFIG_BYTES);
}

export function readYamlFile(file: string): YamlFile {
  const read = readRegularFile(file, MAX_CONFIG_BYTES);
  if (!read.ok) {
    if (read.problem === 'not found') {
      throw new PrunelabError('E_FILE_NOT_FOUND', 'file not found', { file, fix: 'Check the path; sweeps live in experiments/' });
    }
    throw new PrunelabError('E_CONFIG_INVALID', `cannot read this as a YAML file: it ${read.problem}`, {
      file,
      fix: `Give the path of a YAML file (at most ${formatBytes(MAX_CONFIG_BYTES)}), e.g. experiments/quickstart.yaml`,
    });
  }
  return parseYaml(read.bytes.toString('utf8'), file);
}

function parseYaml(text: string, file: string): YamlFile {
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    // resolveKnownTags: false leaves YAML 1.1's !!binary, !!set, !!timestamp... unresolved, so they are refused below.
    doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, resolveKnownTags: false });
  } catch (e) {
    throw new PrunelabError('E_YAML_PARSE', `invalid YAML: ${firstLine(e)}`, { file, fix: 'Fix the YAML syntax' });
  }
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const deep = err.code === 'RESOURCE_EXHAUSTION';
    throw new PrunelabError('E_YAML_PARSE', deep ? 'invalid YAML: nested too deeply to read' : `invalid YAML: ${stripPosition(err.message)}`, {
      file,
      ...(pos && { line: pos.line, column: pos.col }),
      fix: deep ? 'A sweep file nests a few levels deep; check the brackets' : 'Fix the YAML syntax at that position',
    });
  }
  const data = plainData(doc, (problem, offset, fix) => new PrunelabError('E_YAML_PARSE', problem, { file, ...at(offset), fix })) ?? {};
  return {
    file,
    text,
    data,
    locate(path) {
      // Walk up the path until a node exists: a missing key is reported at its parent.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) {
          const { line, col } = lineCounter.linePos(node.range[0]);
          return { line, column: col };
        }
      }
      return undefined;
    },
  };
}

/**
 * The document as plain data, refusing what is not: unknown tags and
 * directives (the yaml library's warnings), tags outside the core schema,
 * aliases without an anchor, and alias bombs. `fail` builds the error from a
 * problem, the offset of the node it is about, and the fix.
 */
function plainData(doc: Document, fail: (problem: string, offset: number | undefined, fix: string) => PrunelabError): unknown {
  const warning = doc.warnings[0];
  if (warning) {
    const tag = /Unresolved tag: (\S+)/.exec(warning.message)?.[1];
    throw fail(tag ? `unknown YAML tag ${shortTag(tag)}` : `invalid YAML: ${stripPosition(warning.message)}`, warning.pos[0], tag ? PLAIN : 'Remove it');
  }
  const tagged = findNode(doc, (n) => !isAlias(n) && n.tag !== undefined && !CORE_TAGS.has(n.tag));
  if (tagged) throw fail(`unknown YAML tag ${shortTag(String(tagged.tag))}`, tagged.range?.[0], PLAIN);
  const unresolved = findNode(doc, (n) => isAlias(n) && n.resolve(doc) === undefined);
  if (unresolved && isAlias(unresolved)) {
    throw fail(
      `alias *${unresolved.source} refers to no anchor`,
      unresolved.range?.[0],
      `Define &${unresolved.source} on a value before this line, or write the value out`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // toJS throws for alias bombs (ReferenceError) and for data nested past the stack (RangeError).
    const bomb = /alias count/i.test(firstLine(e));
    const alias = findNode(doc, (n) => isAlias(n));
    throw fail(
      bomb ? `aliases expand more than ${MAX_ALIAS_COUNT} times (an alias bomb)` : `invalid YAML: ${firstLine(e)}`,
      bomb ? alias?.range?.[0] : undefined,
      bomb ? 'Write the values out instead of nesting aliases of aliases' : 'Simplify the file',
    );
  }
}

const PLAIN = 'Remove the tag: sweep files hold plain data (strings, numbers, booleans, lists and mappings)';

/**
 * A `--set` value, typed as YAML (`seeds=[0, 1]` is a list): text that is not
 * YAML stays text, as before, but a tag or an alias is refused as in a file.
 */
export function parseValue(text: string, assignment: string): unknown {
  let doc: Document;
  try {
    doc = parseDocument(text, { uniqueKeys: true, resolveKnownTags: false });
  } catch {
    return text;
  }
  if (doc.errors.length > 0) return text;
  return plainData(doc, (problem, _offset, fix) => new PrunelabError('E_CONFIG_INVALID', problem, { path: '--set', value: assignment, fix }));
}

/** The first node (in document order) that `test` accepts. */
function findNode(doc: Document, test: (n: Node) => boolean): Node | undefined {
  let found: Node | undefined;
  visit(doc, (_key, node) => {
    if (isNode(node) && test(node)) {
      found = node;
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}

/** `tag:yaml.org,2002:binary` as it is written, `!!binary`. */
function shortTag(tag: string): string {
  return tag.replace(/^tag:yaml\.org,2002:/, '!!');
}

/** The yaml library's message without its trailing " at line L, column C:" (the position is given separately). */
function stripPosition(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0]!;
}
