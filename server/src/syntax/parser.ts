/**
 * The syntax layer: the only module that touches web-tree-sitter.
 *
 * It loads the runtime and the Python grammar once, compiles every `.scm`
 * query once, parses text (incrementally when given the previous tree) and
 * hands out trees that callers must free with `tree.delete()`. Nothing above
 * this layer imports web-tree-sitter; the model layer receives the node and
 * capture types re-exported below.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Edit, Language, type Node, Parser, Query, type QueryCapture, type Tree } from 'web-tree-sitter';
import { QUERY_SOURCES } from './queries';

export type { Edit, Node, QueryCapture, Tree };

export interface Syntax {
  parser: Parser;
  language: Language;
  /** One query holding every model pattern, so a file is walked once. */
  modelQuery: Query;
}

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
    const parser = new Parser();
    parser.setLanguage(language);
    const modelQuery = new Query(language, Object.values(QUERY_SOURCES).join('\n'));
    return { parser, language, modelQuery };
  })();
  return ready;
}

/** Compile one query source; used by the test that checks every `.scm` file. */
export function compileQuery(syntax: Syntax, source: string): Query {
  return new Query(syntax.language, source);
}

/** Parse text; pass the previous (already edited) tree to reparse incrementally. */
export function parse(syntax: Syntax, text: string, oldTree?: Tree): Tree {
  const tree = syntax.parser.parse(text, oldTree ?? null);
  if (!tree) throw new Error('gil-lens: tree-sitter returned no tree');
  return tree;
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
