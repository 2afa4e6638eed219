import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { PrunelabError } from '@prunelab/core';
import { formatPath } from './paths.js';

/** A parsed YAML file that can say where a key path is (for file:line:column errors). */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly data: unknown;
  locate(path: ReadonlyArray<PropertyKey>): { line: number; column: number } | undefined;
}

export function readYamlFile(file: string): YamlFile {
  if (!existsSync(file)) {
    throw new PrunelabError('E_FILE_NOT_FOUND', 'file not found', { file, fix: 'Check the path; sweeps live in experiments/' });
  }
  const text = readFileSync(file, 'utf8');
  return parseYaml(text, file);
}

export function parseYaml(text: string, file: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new PrunelabError('E_YAML_PARSE', `invalid YAML: ${err.message.split('\n')[0]}`, {
      file,
      ...(pos && { line: pos.line, column: pos.col }),
      fix: 'Fix the YAML syntax at that position',
    });
  }
  const data: unknown = doc.toJS() ?? {};
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

export function describePath(path: ReadonlyArray<PropertyKey>): string {
  return formatPath(path) || '(top level)';
}
