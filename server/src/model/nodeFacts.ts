/**
 * Node-based readers: the model facts read from tree-sitter nodes through
 * wasm calls (fields, children, end offsets). They are exact for any tree,
 * including trees with syntax errors, but each call into wasm costs about as
 * much as reading a short text, so extract.ts uses them for rare statements
 * and wherever the text readers of textFacts.ts are unsure.
 */
import type { Node } from '../syntax/parser';
import type {
  Arg,
  Call,
  Decl,
  Flow,
  Import,
  Param,
  Region,
  RegionKind,
  Scope,
  Span,
  WithItem,
  Write,
  WriteTarget,
} from './types';

const EXIT_STATEMENTS = new Set(['return_statement', 'continue_statement', 'break_statement', 'raise_statement']);

/**
 * The text being extracted. Extraction is synchronous, so one module-level
 * slot is safe; it lets text and spans come from one `endIndex` call per node
 * instead of separate `text` and `endPosition` calls into wasm.
 */
let SRC = '';

/** Point the readers at the text being extracted. */
export function setNodeSource(text: string): void {
  SRC = text;
}

/** The text the readers point at. */
export function nodeSource(): string {
  return SRC;
}

function textOf(node: Node): string {
  return SRC.slice(node.startIndex, node.endIndex);
}

/** Span of a large node (scopes, regions): one wasm call, no text scan. */
export function spanOf(node: Node): Span {
  const s = node.startPosition;
  const e = node.endPosition;
  return { line: s.row, col: s.column, endLine: e.row, endCol: e.column };
}

/** Text and span of a small node (calls, arguments, targets) from a single `endIndex` call. */
function infoOf(node: Node): { text: string; span: Span; end: number } {
  const s = node.startPosition;
  const end = node.endIndex;
  const text = SRC.slice(node.startIndex, end);
  const last = text.lastIndexOf('\n');
  if (last < 0)
    return { text, end, span: { line: s.row, col: s.column, endLine: s.row, endCol: s.column + text.length } };
  let newlines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) newlines++;
  return { text, end, span: { line: s.row, col: s.column, endLine: s.row + newlines, endCol: text.length - last - 1 } };
}

/**
 * Text without layout, cut at `limit` characters: huge literals carry no signal. Whitespace goes, except
 * one space where it separates two word characters, so tokens keep their boundaries (`not flag`, `total
 * or 1`, `x if x is None else y`) and a name read in a value can still be found in it.
 */
export function compact(text: string, limit = 400): string {
  const cut = text.length > limit ? text.slice(0, limit) : text;
  return /\s/.test(cut) ? cut.replace(/(\w?)\s+(?=(\w?))/g, (_m, a: string, b: string) => (a && b ? `${a} ` : a)) : cut;
}

export function moduleScope(root: Node): Scope {
  return {
    id: 0,
    kind: 'module',
    name: '<module>',
    parent: -1,
    span: spanOf(root),
    nameSpan: spanOf(root),
    start: root.startIndex,
    end: root.endIndex,
    isAsync: false,
    params: [],
    decorators: [],
    bases: [],
    docstring: docstringOf(root),
    bodyStart: root.startIndex,
  };
}

/** The first statement of a body, when it is a string; only the first children are touched. */
function docstringOf(block: Node | null): string {
  let first = block?.firstNamedChild ?? null;
  while (first?.type === 'comment') first = first.nextNamedSibling;
  const str = first?.type === 'expression_statement' ? first.firstNamedChild : null;
  return str?.type === 'string' ? textOf(str) : '';
}

/** Is the line above `offset` a decorator? Checked in the text to avoid a parent lookup per function. */
export function mayBeDecorated(offset: number): boolean {
  const lineStart = SRC.lastIndexOf('\n', offset - 1);
  const prevEnd = lineStart;
  if (prevEnd <= 0) return false;
  const prevStart = SRC.lastIndexOf('\n', prevEnd - 1) + 1;
  const prev = SRC.slice(prevStart, prevEnd).trim();
  return prev.startsWith('@') || prev.endsWith(')') || prev.endsWith(',');
}

function paramsOf(params: Node | null): Param[] {
  const out: Param[] = [];
  for (const p of params?.namedChildren ?? []) {
    if (!p) continue;
    switch (p.type) {
      case 'identifier':
        out.push({ name: p.text });
        break;
      case 'typed_parameter': {
        const id = p.namedChildren.find((c) => c?.type === 'identifier');
        const type = p.childForFieldName('type');
        if (id) out.push(type ? { name: id.text, annotation: compact(type.text) } : { name: id.text });
        else out.push({ name: p.firstNamedChild?.text ?? '', splat: true });
        break;
      }
      case 'default_parameter':
      case 'typed_default_parameter': {
        const param: Param = {
          name: p.childForFieldName('name')?.text ?? '',
          defaultText: p.childForFieldName('value')?.text,
        };
        const type = p.childForFieldName('type');
        if (type) param.annotation = compact(type.text);
        out.push(param);
        break;
      }
      case 'list_splat_pattern':
      case 'dictionary_splat_pattern':
        out.push({ name: p.firstNamedChild?.text ?? '', splat: true });
        break;
    }
  }
  return out;
}

/** Decorator texts of a function or class (without `@`), read from its parent. */
export function decoratorsOf(node: Node): string[] {
  const decorators: string[] = [];
  const parent = node.parent;
  if (parent?.type === 'decorated_definition') {
    for (const d of parent.namedChildren) if (d?.type === 'decorator') decorators.push(compact(d.text.slice(1)));
  }
  return decorators;
}

export function scopeOf(node: Node, kind: 'function' | 'class' | 'lambda', id: number, parent: number): Scope {
  const nameNode = node.childForFieldName('name');
  const body = node.childForFieldName('body');
  const decorators = mayBeDecorated(node.startIndex) ? decoratorsOf(node) : [];
  const bases: string[] = [];
  if (kind === 'class') {
    for (const b of node.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (b && b.type !== 'keyword_argument') bases.push(compact(b.text));
    }
  }
  const firstChild = node.child(0);
  return {
    id,
    kind,
    name: kind === 'lambda' ? '<lambda>' : (nameNode?.text ?? '?'),
    parent,
    span: spanOf(node),
    nameSpan: spanOf(nameNode ?? firstChild ?? node),
    start: node.startIndex,
    end: node.endIndex,
    isAsync: firstChild?.type === 'async',
    params: paramsOf(node.childForFieldName('parameters')),
    decorators,
    bases,
    docstring: kind === 'lambda' ? '' : docstringOf(body),
    bodyStart: body?.startIndex ?? node.startIndex,
  };
}

function withItemsOf(node: Node): WithItem[] {
  const clause = node.namedChildren.find((c) => c?.type === 'with_clause');
  const items: WithItem[] = [];
  for (const item of clause?.namedChildren ?? []) {
    if (item?.type !== 'with_item') continue;
    let value = item.childForFieldName('value');
    let alias: string | undefined;
    if (value?.type === 'as_pattern') {
      alias = compact(value.childForFieldName('alias')?.text ?? '');
      value = value.firstNamedChild;
    }
    if (!value) continue;
    items.push({ expr: compact(value.text), alias, isCall: value.type === 'call', span: spanOf(value) });
  }
  return items;
}

/**
 * An if-statement region for trees without syntax errors, with fewer wasm
 * calls than regionOf: an if has no `body` field and never starts with
 * `async`, and the last statement of its consequence is found by walking
 * back from the last child instead of listing every child.
 */
export function ifRegionOf(node: Node, id: number, scope: number, span: Span, end: number): Region {
  const condition = node.childForFieldName('condition');
  const region: Region = {
    id,
    kind: 'if',
    scope,
    span,
    start: node.startIndex,
    end,
    bodyStart: node.startIndex,
    vars: [],
    expr: condition ? textOf(condition) : '',
    items: [],
    isAsync: false,
    thenStart: 0,
    thenEnd: 0,
    thenExits: false,
  };
  const then = node.childForFieldName('consequence');
  if (then) {
    region.thenStart = then.startIndex;
    region.thenEnd = then.endIndex;
    let last = then.lastNamedChild;
    let type = last?.type;
    while (last && type === 'comment') {
      last = last.previousNamedSibling;
      type = last?.type;
    }
    region.thenExits = type !== undefined && EXIT_STATEMENTS.has(type);
  }
  return region;
}

export function regionOf(node: Node, kind: RegionKind, id: number, scope: number): Region {
  const region: Region = {
    id,
    kind,
    scope,
    span: spanOf(node),
    start: node.startIndex,
    end: node.endIndex,
    bodyStart: node.childForFieldName('body')?.startIndex ?? node.startIndex,
    vars: [],
    expr: '',
    items: [],
    isAsync: node.child(0)?.type === 'async',
    thenStart: 0,
    thenEnd: 0,
    thenExits: false,
  };
  if (kind === 'for') {
    region.vars = [compact(node.childForFieldName('left')?.text ?? '')];
    region.expr = compact(node.childForFieldName('right')?.text ?? '');
  } else if (kind === 'while') {
    region.expr = node.childForFieldName('condition')?.text ?? '';
  } else if (kind === 'comprehension') {
    for (const clause of node.namedChildren) {
      if (clause?.type !== 'for_in_clause') continue;
      region.vars.push(compact(clause.childForFieldName('left')?.text ?? ''));
      region.expr ||= compact(clause.childForFieldName('right')?.text ?? '');
    }
  } else if (kind === 'try') {
    // The try body (thenStart..thenEnd) and the exceptions its handlers catch, `*` for a bare `except:`.
    const body = node.childForFieldName('body');
    region.thenStart = body?.startIndex ?? node.startIndex;
    region.thenEnd = body?.endIndex ?? node.endIndex;
    const caught: string[] = [];
    for (const clause of node.namedChildren) {
      if (clause?.type !== 'except_clause') continue;
      const values = clause.childrenForFieldName('value').filter((v) => v !== null);
      caught.push(values.length > 0 ? values.map((v) => compact(v!.text)).join(',') : '*');
    }
    region.expr = caught.join('|');
  } else if (kind === 'with') {
    region.items = withItemsOf(node);
  } else if (kind === 'if') {
    region.expr = node.childForFieldName('condition')?.text ?? '';
    const then = node.childForFieldName('consequence');
    if (then) {
      region.thenStart = then.startIndex;
      region.thenEnd = then.endIndex;
      const last = then.namedChildren.filter((c) => c?.type !== 'comment').pop();
      region.thenExits = last ? EXIT_STATEMENTS.has(last.type) : false;
    }
  }
  return region;
}

function argOf(node: Node, keyword?: string, splat?: '*' | '**'): Arg {
  const info = infoOf(node);
  const arg: Arg = {
    text: compact(info.text),
    kind: node.type,
    span: info.span,
    keyword: undefined,
    splat: undefined,
    callee: undefined,
    firstArg: undefined,
    elements: undefined,
  };
  if (keyword) arg.keyword = keyword;
  if (splat) arg.splat = splat;
  if (node.type === 'call') {
    arg.callee = compact(node.childForFieldName('function')?.text ?? '');
    const first = node.childForFieldName('arguments')?.namedChildren.find((c) => c && c.type !== 'comment');
    if (first && first.type !== 'keyword_argument') arg.firstArg = compact(first.text);
  } else if (node.type === 'list' || node.type === 'tuple') {
    arg.elements = node.namedChildren.filter((c) => c && c.type !== 'comment').map((c) => compact(c?.text ?? ''));
  }
  return arg;
}

function argsOf(list: Node | null): Arg[] {
  if (!list) return [];
  if (list.type === 'generator_expression') return [argOf(list)];
  const out: Arg[] = [];
  for (const a of list.namedChildren) {
    if (!a || a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const value = a.childForFieldName('value');
      if (value) out.push(argOf(value, a.childForFieldName('name')?.text));
    } else if (a.type === 'list_splat' || a.type === 'dictionary_splat') {
      const inner = a.firstNamedChild;
      if (inner) out.push(argOf(inner, undefined, a.type === 'list_splat' ? '*' : '**'));
    } else {
      out.push(argOf(a));
    }
  }
  return out;
}

export function callOf(node: Node, id: number, scope: number, regions: number[]): Call {
  const fn = node.childForFieldName('function');
  const info = infoOf(node);
  const call: Call = {
    id,
    callee: fn ? compact(textOf(fn)) : '',
    calleeKind: fn?.type ?? '',
    args: argsOf(node.childForFieldName('arguments')),
    scope,
    regions,
    span: info.span,
    start: node.startIndex,
    end: info.end,
    awaited: false,
    receiver: undefined,
    receiverKind: undefined,
    method: undefined,
    assignedTo: undefined,
  };
  if (fn?.type === 'attribute') {
    const object = fn.childForFieldName('object');
    call.receiver = object ? compact(textOf(object)) : '';
    call.receiverKind = object?.type;
    call.method = fn.childForFieldName('attribute')?.text;
  }
  return call;
}

function targetOf(node: Node): WriteTarget {
  const info = infoOf(node);
  const t: WriteTarget = {
    text: compact(info.text),
    kind: 'other',
    span: info.span,
    object: undefined,
    key: undefined,
  };
  if (node.type === 'identifier') t.kind = 'identifier';
  else if (node.type === 'attribute') {
    t.kind = 'attribute';
    t.object = compact(node.childForFieldName('object')?.text ?? '');
    t.key = node.childForFieldName('attribute')?.text;
  } else if (node.type === 'subscript') {
    t.kind = 'subscript';
    t.object = compact(node.childForFieldName('value')?.text ?? '');
    t.key = compact(node.childForFieldName('subscript')?.text ?? '');
  }
  return t;
}

function targetsOf(node: Node | null): WriteTarget[] {
  if (!node) return [];
  if (['pattern_list', 'tuple_pattern', 'list_pattern', 'expression_list', 'tuple', 'list'].includes(node.type)) {
    return node.namedChildren.flatMap((c) => (c ? targetsOf(c) : []));
  }
  return [targetOf(node)];
}

export function writeOf(node: Node, kind: string, id: number, scope: number, regions: number[]): Write | undefined {
  const info = infoOf(node);
  const base = { id, scope, regions, span: info.span, start: node.startIndex, end: info.end };
  if (kind === 'delete') {
    return {
      ...base,
      kind: 'delete',
      op: 'del',
      targets: node.namedChildren.flatMap((c) => (c ? targetsOf(c) : [])),
      value: '',
      valueKind: '',
      valueCallee: undefined,
      valueStart: undefined,
      valueElements: undefined,
    };
  }
  const right = node.childForFieldName('right');
  const write: Write = {
    ...base,
    kind: kind === 'augmented' ? 'augmented' : 'assign',
    op: kind === 'augmented' ? (node.childForFieldName('operator')?.text ?? node.child(1)?.text ?? '+=') : '=',
    targets: targetsOf(node.childForFieldName('left')),
    value: right ? compact(textOf(right)) : '',
    valueKind: right?.type ?? '',
    valueCallee: undefined,
    valueStart: undefined,
    valueElements: undefined,
  };
  if (right?.type === 'call') {
    write.valueCallee = compact(right.childForFieldName('function')?.text ?? '');
    write.valueStart = right.startIndex;
  }
  if (right && (right.type === 'list' || right.type === 'tuple')) {
    write.valueElements = right.namedChildren
      .filter((c) => c && c.type !== 'comment')
      .map((c) => compact(c?.text ?? ''));
  }
  const type = kind === 'augmented' ? null : node.childForFieldName('type');
  if (type) write.annotation = compact(textOf(type));
  return write;
}

/** A `return` statement or a `yield` expression: what it hands back. */
export function flowOf(node: Node, kind: 'return' | 'yield', scope: number): Flow {
  const info = infoOf(node);
  // One wasm call for the usual case; a comment inside the statement sends it to the full child list.
  let value = node.firstNamedChild;
  if (value?.type === 'comment') value = node.namedChildren.find((c) => c && c.type !== 'comment') ?? null;
  const from = kind === 'yield' && value !== null && node.child(1)?.type === 'from';
  const flow: Flow = {
    kind: from ? 'yield from' : kind,
    scope,
    value: value ? compact(textOf(value)) : '',
    valueKind: value?.type ?? '',
    valueCallee: undefined,
    span: info.span,
    start: node.startIndex,
    end: info.end,
  };
  if (value?.type === 'call') flow.valueCallee = compact(value.childForFieldName('function')?.text ?? '');
  return flow;
}

export function declOf(node: Node, kind: 'global' | 'nonlocal', scope: number): Decl {
  const names = node.namedChildren.filter((c) => c?.type === 'identifier').map((c) => c?.text ?? '');
  return { kind, names, scope, span: spanOf(node) };
}

export function importsOf(node: Node, fromImport: boolean, scope: number): Import[] {
  const out: Import[] = [];
  const span = spanOf(node);
  const moduleNode = fromImport ? node.childForFieldName('module_name') : null;
  const moduleText = moduleNode ? compact(moduleNode.text) : '';
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    let name = child;
    let alias: string | undefined;
    if (child.type === 'aliased_import') {
      name = child.childForFieldName('name') ?? child;
      alias = child.childForFieldName('alias')?.text;
    }
    const dotted = compact(name.text);
    if (fromImport) {
      out.push({ local: alias ?? dotted, qualified: `${moduleText}.${dotted}`, fromImport, scope, span });
    } else if (alias) {
      out.push({ local: alias, qualified: dotted, fromImport, scope, span });
    } else {
      const head = dotted.split('.')[0];
      out.push({ local: head, qualified: head, fromImport, scope, span });
    }
  }
  return out;
}
