/**
 * The syntax layer: the only module that touches web-tree-sitter.
 *
 * It loads the runtime and the Python grammar once, compiles every `.scm`
 * query once, parses text (incrementally when given the previous tree) and
 * hands out trees that callers must free with `tree.delete()`. Nothing above
 * this layer imports web-tree-sitter; the model layer receives the node and
 * capture types re-exported below.
 *
 * Parsing is where one file can hurt every other: the grammar's scanner can
 * write past a buffer and leave the parser broken (see nesting.ts). So text
 * the guard refuses is never parsed; a parse that traps in wasm gets a fresh
 * parser and one more try, in case the damage was an earlier file's; and
 * after a deep text or a trap the parser must still read a known snippet as
 * it did at start-up, or it is replaced. A file that fails any of this is
 * refused with `SkippedSource`, which the edges report like a binary file.
 * Lone `\r` line breaks become `\n` first (lineBreaks.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Edit, Language, type Node, Parser, Query, type QueryCapture, type Tree } from 'web-tree-sitter';
import { lspLineBreaks } from './lineBreaks';
import { type DeepText, deepNesting, NESTING_LIMIT } from './nesting';
import { QUERY_SOURCES } from './queries';

export type { Edit, Node, QueryCapture, Tree };

export interface Syntax {
  /** Replaced by a fresh one whenever it may be damaged (a trap, a failed check). */
  parser: Parser;
  language: Language;
  /** One query holding every model pattern, so a file is walked once. */
  modelQuery: Query;
  /** What a sound parser makes of CHECK_SNIPPET. */
  checkTree: string;
}

/** A file the parser must not or could not read; `reason` ends in "skipped", like the reader's reasons. */
export class SkippedSource extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkippedSource';
  }
}

/** Nesting, an f-string and a plain string: the scanner state a damaged parser gets wrong. */
const CHECK_SNIPPET = 'if a:\n    if b:\n        c = f"{d}" + "e"\nf = 1\n';

let ready: Promise<Syntax> | undefined;

/** Folders searched for the wasm files, most specific first. */
function wasmDirs(extra?: string): string[] {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const dirs = [
    extra,
    process.env.GIL_LENS_WASM_DIR,
    here,
    path.resolve(here, '../../../grammars'),
    path.resolve(here, '../grammars'),
    path.resolve(here, '../../../node_modules/web-tree-sitter'),
    path.resolve(here, '../../../node_modules/tree-sitter-python'),
    path.resolve(process.cwd(), 'grammars'),
    path.resolve(process.cwd(), 'node_modules/web-tree-sitter'),
    path.resolve(process.cwd(), 'node_modules/tree-sitter-python'),
  ];
  return dirs.filter((d): d is string => typeof d === 'string' && d.length > 0);
}

export function findWasm(file: string, extraDir?: string): string {
  for (const dir of wasmDirs(extraDir)) {
    const candidate = path.join(dir, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`gil-lens: cannot find ${file}; run "npm run build" or set GIL_LENS_WASM_DIR`);
}

/** Initialise once; later calls share the same parser, language and queries. */
export function initSyntax(wasmDir?: string): Promise<Syntax> {
  ready ??= (async () => {
    const runtime = findWasm('tree-sitter.wasm', wasmDir);
    await Parser.init({ locateFile: () => runtime });
    const language = await Language.load(findWasm('tree-sitter-python.wasm', wasmDir));
    const parser = newParser(language);
    const modelQuery = new Query(language, Object.values(QUERY_SOURCES).join('\n'));
    const check = parser.parse(CHECK_SNIPPET);
    const checkTree = check?.rootNode.toString() ?? '';
    check?.delete();
    return { parser, language, modelQuery, checkTree };
  })();
  return ready;
}

/** Compile one query source; used by the test that checks every `.scm` file. */
export function compileQuery(syntax: Syntax, source: string): Query {
  return new Query(syntax.language, source);
}

/**
 * Parse text; pass the previous (already edited) tree to reparse incrementally.
 * Throws SkippedSource for text the parser must not or could not read.
 */
export function parse(syntax: Syntax, text: string, oldTree?: Tree): Tree {
  text = lspLineBreaks(text);
  const deep = deepNesting(text);
  if (deep?.stringLine !== undefined) throw new SkippedSource(tooDeep(deep));
  const { tree, trapped } = parseRecovering(syntax, text, oldTree);
  if ((deep || trapped) && !parserSound(syntax)) {
    // The tree came from a parser that was damaged on the way: neither is used again (nor freed, see replaceParser).
    replaceParser(syntax);
    throw new SkippedSource('the parser was damaged reading this file, skipped');
  }
  return tree;
}

/**
 * Parse; after a trap, parse again from scratch on a fresh parser, since the
 * damage may be an earlier text's. A second trap is this text's own.
 */
function parseRecovering(syntax: Syntax, text: string, oldTree?: Tree): { tree: Tree; trapped: boolean } {
  try {
    return { tree: parseWith(syntax.parser, text, oldTree), trapped: false };
  } catch {
    replaceParser(syntax);
  }
  try {
    return { tree: parseWith(syntax.parser, text), trapped: true };
  } catch (error) {
    replaceParser(syntax);
    throw new SkippedSource(`the parser failed on this file (${describe(error)}), skipped`);
  }
}

function parseWith(parser: Parser, text: string, oldTree?: Tree): Tree {
  const tree = parser.parse(text, oldTree ?? null);
  if (!tree) throw new Error('gil-lens: tree-sitter returned no tree');
  return tree;
}

function newParser(language: Language): Parser {
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/**
 * Give the syntax a fresh parser. The old one is dropped, not deleted: its
 * memory may be what was overwritten, and freeing through a bad pointer
 * would spread the damage. It costs some 40 KB, once per damaged parser.
 */
function replaceParser(syntax: Syntax): void {
  syntax.parser = newParser(syntax.language);
}

/** Does the parser still read the check snippet as it did at start-up? */
function parserSound(syntax: Syntax): boolean {
  try {
    const tree = syntax.parser.parse(CHECK_SNIPPET);
    const sound = tree?.rootNode.toString() === syntax.checkTree;
    if (sound) tree?.delete();
    return sound;
  } catch {
    return false;
  }
}

function tooDeep(deep: DeepText): string {
  const line = (deep.stringLine ?? 0) + 1;
  return (
    `a string on line ${line} is nested ${deep.stringDepth} blocks deep, which the parser cannot read safely ` +
    `(${NESTING_LIMIT} or more; Python itself allows at most 100), skipped`
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** All model captures of a tree, in document order. */
export function modelCaptures(syntax: Syntax, tree: Tree): QueryCapture[] {
  return syntax.modelQuery.captures(tree.rootNode);
}

/** Model captures of one node's subtree (the node included), in document order. */
export function modelCapturesOf(syntax: Syntax, node: Node): QueryCapture[] {
  return syntax.modelQuery.captures(node);
}

/** Start and end offsets of every child of the root (top-level statements and comments), in order. */
export function topLevelRanges(tree: Tree): { starts: Int32Array; ends: Int32Array } {
  const count = tree.rootNode.childCount;
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  const cursor = tree.walk();
  try {
    if (cursor.gotoFirstChild()) {
      let i = 0;
      do {
        starts[i] = cursor.startIndex;
        ends[i] = cursor.endIndex;
        i++;
      } while (cursor.gotoNextSibling());
    }
  } finally {
    cursor.delete();
  }
  return { starts, ends };
}

/**
 * The children of the root whose ranges overlap or touch `[start, end]`
 * (both ends included), in order, with the child just before and just after
 * them (null at the ends of the file).
 */
export function topLevelNodesAround(
  tree: Tree,
  start: number,
  end: number,
): { nodes: Node[]; before: Node | null; after: Node | null } {
  const root = tree.rootNode;
  const nodes: Node[] = [];
  let node = root.firstChildForIndex(start);
  let before = node ? node.previousSibling : root.lastChild;
  // A child ending exactly at `start` touches the range.
  if (before && before.endIndex >= start) {
    node = before;
    before = before.previousSibling;
  }
  while (node && node.startIndex <= end) {
    nodes.push(node);
    node = node.nextSibling;
  }
  return { nodes, before, after: node };
}
