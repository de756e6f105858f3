/**
 * Builds the plain-data ModuleModel from one parsed tree.
 *
 * It runs the compiled model query once and walks its captures in document
 * order, keeping a stack of the open scopes and regions, so every call and
 * write learns its enclosing function, loops, with-blocks and ifs in one
 * linear pass. Node fields are read only for captured nodes.
 */

import { strandedScope } from '../../server/src/model/stranded';
import type {
  Arg,
  Call,
  Decl,
  Flow,
  Import,
  ModuleModel,
  Param,
  Region,
  RegionKind,
  Scope,
  Span,
  WithItem,
  Write,
  WriteTarget,
} from '../../server/src/model/types';
import { modelCaptures, type Node, type Syntax, type Tree } from '../../server/src/syntax/parser';

const EXIT_STATEMENTS = new Set(['return_statement', 'continue_statement', 'break_statement', 'raise_statement']);

/**
 * The text being extracted. Extraction is synchronous, so one module-level
 * slot is safe; it lets text and spans come from one `endIndex` call per node
 * instead of separate `text` and `endPosition` calls into wasm.
 */
let SRC = '';

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

/** Whitespace-free text, cut at `limit` characters: huge literals carry no signal. */
function compact(text: string, limit = 400): string {
  const cut = text.length > limit ? text.slice(0, limit) : text;
  // Written as a loop, not as extract's regex: layout goes, one space stays between two word characters.
  const parts = cut.split(/\s+/);
  let out = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    out += /\w$/.test(out) && /^\w/.test(part) ? ` ${part}` : part;
  }
  return out;
}

interface Open {
  end: number;
  scope?: number;
  region?: number;
}

/** Extract the model of `text`, whose tree is `tree`. The tree stays owned by the caller. */
export function extractModel(syntax: Syntax, tree: Tree, text: string, path: string, moduleName?: string): ModuleModel {
  SRC = text;
  const root = tree.rootNode;
  const model: ModuleModel = {
    path,
    moduleName: moduleName ?? defaultModuleName(path),
    lines: text.split(/\r?\n/),
    directiveLines: text.split(/\r?\n/).flatMap((l, i) => (l.includes('gil-lens') ? [i] : [])),
    scopes: [moduleScope(root)],
    regions: [],
    calls: [],
    writes: [],
    decls: [],
    imports: [],
    flows: [],
    hasErrors: root.hasError,
  };
  const stack: Open[] = [];
  const awaitEnds = new Set<number>();
  for (const { name, node } of modelCaptures(syntax, tree)) {
    const start = node.startIndex;
    while (stack.length > 0 && stack[stack.length - 1].end <= start) stack.pop();
    let scope = 0;
    const regions: number[] = [];
    for (let i = stack.length - 1; i >= 0; i--) {
      const open = stack[i];
      if (open.scope !== undefined) {
        scope = open.scope;
        break;
      }
      if (open.region !== undefined) regions.unshift(open.region);
    }
    const dot = name.indexOf('.');
    const kind = dot < 0 ? '' : name.slice(dot + 1);
    switch (dot < 0 ? name : name.slice(0, dot)) {
      case 'scope': {
        const s = scopeOf(node, kind as 'function' | 'class' | 'lambda', model.scopes.length, scope);
        model.scopes.push(s);
        stack.push({ end: node.endIndex, scope: s.id });
        break;
      }
      case 'region': {
        const r = regionOf(node, kind as RegionKind, model.regions.length, scope);
        model.regions.push(r);
        stack.push({ end: node.endIndex, region: r.id });
        break;
      }
      case 'call':
        model.calls.push(callOf(node, model.calls.length, scope, regions));
        break;
      case 'write': {
        const w = writeOf(node, kind, model.writes.length, scope, regions);
        if (w) model.writes.push(w);
        break;
      }
      case 'flow':
        model.flows.push(flowOf(node, kind as 'return' | 'yield', scope));
        break;
      case 'decl':
        model.decls.push(declOf(node, kind as 'global' | 'nonlocal', scope));
        break;
      case 'import':
        model.imports.push(...importsOf(node, kind === 'from', scope));
        break;
      case 'mark':
        if (kind === 'await') {
          awaitEnds.add(node.endIndex);
        } else {
          // Loose `def` and `class` keywords came after this extractor; both read them with the same reader.
          const limit = stack.length > 0 ? stack[stack.length - 1].end : Number.POSITIVE_INFINITY;
          const f = kind === 'def' ? 'function' : 'class';
          const s = strandedScope(text, node, f, model.scopes.length, scope, limit);
          if (s) {
            model.scopes.push(s);
            stack.push({ end: s.end, scope: s.id });
          }
        }
        break;
    }
  }
  linkCalls(model, awaitEnds);
  return model;
}

/** Derive per-call facts from other captures instead of walking up from each call node. */
function linkCalls(model: ModuleModel, awaitEnds: Set<number>): void {
  const byStart = new Map<number, Call>();
  for (const call of model.calls) {
    call.awaited = awaitEnds.has(call.end);
    // Nested calls can share a start (`f()()`); the outermost wins, which is the one an assignment binds.
    if (!byStart.has(call.start)) byStart.set(call.start, call);
  }
  for (const write of model.writes) {
    if (write.valueStart === undefined || write.targets.length !== 1) continue;
    const call = byStart.get(write.valueStart);
    if (call && call.end <= write.end) call.assignedTo = write.targets[0].text;
  }
}

export function defaultModuleName(path: string): string {
  const base = path.replace(/\\/g, '/').split('/').pop() ?? path;
  return base.replace(/\.pyi?$/, '');
}

function moduleScope(root: Node): Scope {
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
function mayBeDecorated(offset: number): boolean {
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

function scopeOf(node: Node, kind: 'function' | 'class' | 'lambda', id: number, parent: number): Scope {
  const nameNode = node.childForFieldName('name');
  const body = node.childForFieldName('body');
  const decorators: string[] = [];
  if (mayBeDecorated(node.startIndex) && node.parent?.type === 'decorated_definition') {
    for (const d of node.parent.namedChildren) if (d?.type === 'decorator') decorators.push(compact(d.text.slice(1)));
  }
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

function regionOf(node: Node, kind: RegionKind, id: number, scope: number): Region {
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
  const arg: Arg = { text: compact(info.text), kind: node.type, span: info.span };
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

function callOf(node: Node, id: number, scope: number, regions: number[]): Call {
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
  const t: WriteTarget = { text: compact(info.text), kind: 'other', span: info.span };
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

function writeOf(node: Node, kind: string, id: number, scope: number, regions: number[]): Write | undefined {
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

function flowOf(node: Node, kind: 'return' | 'yield', scope: number): Flow {
  const { span, end } = infoOf(node);
  let value: Node | null = null;
  for (const c of node.namedChildren) {
    if (c && c.type !== 'comment') {
      value = c;
      break;
    }
  }
  const callee = value?.type === 'call' ? compact(value.childForFieldName('function')?.text ?? '') : undefined;
  return {
    kind: kind === 'yield' && node.child(1)?.type === 'from' ? 'yield from' : kind,
    scope,
    value: value ? compact(textOf(value)) : '',
    valueKind: value ? value.type : '',
    valueCallee: callee,
    span,
    start: node.startIndex,
    end,
  };
}

function declOf(node: Node, kind: 'global' | 'nonlocal', scope: number): Decl {
  const names = node.namedChildren.filter((c) => c?.type === 'identifier').map((c) => c?.text ?? '');
  return { kind, names, scope, span: spanOf(node) };
}

function importsOf(node: Node, fromImport: boolean, scope: number): Import[] {
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
