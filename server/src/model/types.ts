/**
 * The model: plain data about one Python module, extracted from the syntax
 * tree by model/extract.ts. Analysis reads only these types, never tree nodes,
 * so it can be tested and run without web-tree-sitter.
 *
 * Positions are 0-based lines and UTF-16 columns (what web-tree-sitter reports
 * for JavaScript strings, and what LSP uses); offsets are UTF-16 indexes.
 */

export interface Span {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface Param {
  name: string;
  /** Source text of the default value, if any. */
  defaultText?: string;
  /** `*args` or `**kwargs`. */
  splat?: boolean;
  /** The declared type, compacted (`socket.socket`, `Optional[Client]`), when annotated. */
  annotation?: string;
}

export type ScopeKind = 'module' | 'function' | 'class' | 'lambda';

export interface Scope {
  id: number;
  kind: ScopeKind;
  /** Function or class name; `<lambda>` or `<module>` otherwise. */
  name: string;
  /** Enclosing scope id; -1 for the module. */
  parent: number;
  span: Span;
  /** Span of the name (functions, classes) or of the `lambda` keyword. */
  nameSpan: Span;
  start: number;
  end: number;
  isAsync: boolean;
  params: Param[];
  decorators: string[];
  /** Class bases as written (classes only). */
  bases: string[];
  /** The first string statement of a function or class body. */
  docstring: string;
  /** Start offset of the body, so a call in a default value is not "in" the function. */
  bodyStart: number;
}

export type RegionKind = 'for' | 'while' | 'comprehension' | 'with' | 'if' | 'try';

export interface WithItem {
  /** The context expression, e.g. `self._lock` or `ThreadPoolExecutor(4)`. */
  expr: string;
  /** The `as` target, if any. */
  alias?: string;
  /** True when the expression is a call (a fresh object per entry). */
  isCall: boolean;
  span: Span;
}

export interface Region {
  id: number;
  kind: RegionKind;
  scope: number;
  span: Span;
  start: number;
  end: number;
  /** Where the repeated or guarded body starts: a for-loop's iterable is evaluated once, before it. */
  bodyStart: number;
  /** Loop or comprehension variable texts (`for a, b in ...` gives `a, b`). */
  vars: string[];
  /**
   * Iterated expression (loops, comprehensions), if-condition text, or for a try statement the
   * exceptions its handlers catch (`KeyError|(IndexError,ValueError)|*`, `*` for a bare `except:`).
   */
  expr: string;
  /** with-statements only. */
  items: WithItem[];
  isAsync: boolean;
  /** if-statements: offsets of the consequence block; try statements: of the try body. */
  thenStart: number;
  thenEnd: number;
  /** if-statements: the consequence ends in return/continue/break/raise. */
  thenExits: boolean;
}

export interface Arg {
  keyword?: string;
  text: string;
  /** tree-sitter node type of the value, e.g. `identifier`, `lambda`, `call`. */
  kind: string;
  /** For call values: the callee text. */
  callee?: string;
  /** For call values: the first positional argument text (functools.partial). */
  firstArg?: string;
  /** For list/tuple values: element texts. */
  elements?: string[];
  splat?: '*' | '**';
  span: Span;
}

export interface Call {
  id: number;
  /** Callee text with whitespace removed, e.g. `threading.Thread`, `self._pool.submit`. */
  callee: string;
  /** Node type of the callee: `identifier`, `attribute`, `call`, `subscript`... */
  calleeKind: string;
  /** For attribute callees: the object text and the method name. */
  receiver?: string;
  method?: string;
  args: Arg[];
  scope: number;
  /** Ids of enclosing regions within the module, outermost first. */
  regions: number[];
  span: Span;
  start: number;
  end: number;
  awaited: boolean;
  /** Node type of the receiver (`call` in `ThreadPoolExecutor().submit(...)`). */
  receiverKind?: string;
  /** Name the call result is bound to (`x = f()`), if the call is the whole right-hand side. */
  assignedTo?: string;
}

export type WriteKind = 'assign' | 'augmented' | 'delete';

export interface WriteTarget {
  text: string;
  kind: 'identifier' | 'attribute' | 'subscript' | 'other';
  /** For attributes and subscripts: the object text (`self.counts` in `self.counts[k]`). */
  object?: string;
  /** For subscripts: the key text. For attributes: the attribute name. */
  key?: string;
  span: Span;
}

export interface Write {
  id: number;
  kind: WriteKind;
  /** `=`, `+=`, ... or `del`. */
  op: string;
  targets: WriteTarget[];
  /** Right-hand side text ('' for del). */
  value: string;
  valueKind: string;
  /** When the right-hand side is a call: its callee text and start offset. */
  valueCallee?: string;
  valueStart?: number;
  /** When the right-hand side is a list or tuple: element texts. */
  valueElements?: string[];
  /** An annotated assignment's declared type, compacted (`x: Client = ...`, `self.db: Database = ...`). */
  annotation?: string;
  scope: number;
  regions: number[];
  span: Span;
  start: number;
  end: number;
}

/**
 * What a function hands back: a `return` value or a `yield` (`yield from`) item, as text that keeps its
 * token boundaries, with the callee when the value is a call (`return Client(url)` gives `Client`).
 */
export interface Flow {
  kind: 'return' | 'yield' | 'yield from';
  scope: number;
  /** The value's text, compacted like a write's value; '' for a bare `return` or `yield`. */
  value: string;
  /** Node type of the value (`call`, `identifier`, ...); '' when there is none. */
  valueKind: string;
  valueCallee?: string;
  span: Span;
  start: number;
  end: number;
}

export interface Decl {
  kind: 'global' | 'nonlocal';
  names: string[];
  scope: number;
  span: Span;
}

export interface Import {
  /** The local name bound by the import. */
  local: string;
  /** Fully qualified name it stands for (`numpy`, `concurrent.futures.ThreadPoolExecutor`). */
  qualified: string;
  /** True for `from m import x` (binds a member), false for `import m`. */
  fromImport: boolean;
  scope: number;
  span: Span;
}

export interface ModuleModel {
  path: string;
  /** Dotted module name derived from the path (`pkg.mod`), for cross-file resolution. */
  moduleName: string;
  /**
   * The source's lines. A model in the language server's index holds them packed and unpacks them on
   * first read (files/packedLines.ts), and one made by `check` reads its file again (files/linesOnDisk.ts),
   * so a reader that can do without them should.
   */
  lines: string[];
  /** The lines that mention `gil-lens`, as suppression comments do: analysis/suppress.ts reads only these. */
  directiveLines: number[];
  scopes: Scope[];
  regions: Region[];
  calls: Call[];
  writes: Write[];
  decls: Decl[];
  imports: Import[];
  /** Returns and yields, in document order. */
  flows: Flow[];
  /** The tree had syntax errors; findings come from the intact parts. */
  hasErrors: boolean;
}
