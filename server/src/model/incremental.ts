/**
 * Incremental model extraction for documents being edited.
 *
 * A keystroke changes one top-level statement, yet a full extraction walks
 * every capture of the file (about 25 ms for 5,000 lines). Here the model
 * query runs only over the top-level statements around the edit, and the
 * result is spliced into the previous model: items before those statements
 * are kept as they are, their own items are replaced, and items after them
 * are moved: offsets, lines, ids and scope and region references shifted.
 * Every item lies inside one top-level statement (or is the module scope,
 * which is rebuilt), and what the extractor reads for an item depends only
 * on that statement's text and subtree, so the splice equals a full
 * extraction of the same tree; test/model/incremental.test.ts checks exactly
 * that on random edits.
 *
 * Each model made here remembers where the top-level statements of its text
 * lie. The region to re-extract starts as the edit and grows until no old or
 * new statement crosses or touches its ends, so a statement that swallows the
 * next one (or gives one up) when indentation changes is covered. An
 * error-free statement parses the same way wherever it stands, but error
 * recovery does not (the indentation scanner's state leaks past an error), so
 * a tree with syntax errors is extracted in full. A third of random keystrokes
 * break the syntax for a moment; spliceStatement handles nearly all of them
 * (and the keystrokes inside one statement generally) without reparsing the
 * file, keeping a statement's errors inside it. The text readers and the node
 * readers give identical items, which is what lets items read one way sit
 * next to items read the other. The full extractor runs instead whenever the
 * splice is not plainly safe: no previous layout or change, syntax errors, the
 * statements beside the region differing between the two trees, or another
 * statement on the region's last line. Texts are read with lone `\r` line
 * breaks made `\n`, as the parser reads them (syntax/lineBreaks.ts).
 */
import type { TextChange } from '../syntax/documents';
import { lspLineBreaks } from '../syntax/lineBreaks';
import {
  modelCaptures,
  modelCapturesOf,
  parse,
  type QueryCapture,
  type Syntax,
  type Tree,
  topLevelNodesAround,
  topLevelRanges,
} from '../syntax/parser';
import {
  collectCaptures,
  defaultModuleName,
  directiveLines,
  extractModel,
  type IdBase,
  type ModelParts,
  prepareSource,
  splitLines,
} from './extract';
import { moduleScope } from './nodeFacts';
import { lineOf, lineTable } from './scan';
import type { Call, Decl, Flow, Import, ModuleModel, Region, Scope, Span, Write } from './types';

/** Where the top-level statements (and comments) of a model's text start and end. */
interface Layout {
  starts: Int32Array;
  ends: Int32Array;
  /**
   * Entries read from a parse of their own text that had syntax errors (see spliceStatement): their
   * items are what that statement alone gives, not what the file's tree would. Absent when none.
   */
  contained?: Uint8Array;
  /** The file's tree had syntax errors when the model was last taken from it. */
  treeErrors: boolean;
}

/** Any entry flagged as contained? */
function anyContained(layout: Layout): boolean {
  return layout.contained?.includes(1) ?? false;
}

const layouts = new WeakMap<ModuleModel, Layout>();

/** How models were made, for tests and the benchmark. */
export const incrementalStats = { spliced: 0, full: 0, statement: 0 };

/**
 * What the previous model was made from, and how its text became the new
 * one. The previous model is consumed: the new model takes over its items
 * and moves those after the edit in place, so the caller must not read it
 * afterwards (the session replaces it; old reports only compare it by identity).
 */
export interface Previous {
  model: ModuleModel;
  /** The edits since, merged (see mergeChanges), in offsets of the previous model's text. */
  change: TextChange;
}

/**
 * The model of `text` (whose tree is `tree`): spliced from the previous model
 * when the splice is safe, extracted in full otherwise.
 */
export function updateModel(
  syntax: Syntax,
  tree: Tree,
  text: string,
  path: string,
  moduleName: string | undefined,
  previous?: Previous,
): ModuleModel {
  text = lspLineBreaks(text);
  const name = moduleName ?? defaultModuleName(path);
  if (previous) {
    const spliced = splice(syntax, tree, text, path, name, previous);
    if (spliced) {
      incrementalStats.spliced++;
      return spliced;
    }
  }
  incrementalStats.full++;
  const model = extractModel(syntax, tree, text, path, name);
  layouts.set(model, { ...topLevelRanges(tree), treeErrors: model.hasErrors });
  return model;
}

/**
 * The statement-local path, for the common keystroke: the edits since
 * `previous` lie inside one top-level statement (not the first or last of the
 * file) or on blank lines between two, and only blank lines separate that
 * stretch from the statement after. Then only the stretch is parsed and
 * extracted; the file's tree is not reparsed (the caller keeps its edited tree
 * for a later reparse). A top-level statement starts at column 0 with the
 * indentation scanner's state fresh, so an error-free one parses the same
 * alone as in its file: with the file error-free before (as far as its tree
 * goes) and nothing else changed, the result equals a full extraction, which
 * test/model/incremental.test.ts checks on random edits.
 *
 * A stretch that does not parse on its own keeps its errors to itself: its
 * items are what the broken statement alone gives, it is flagged in the
 * layout, and the model has errors. Half-typed code (`foo(`, an unclosed
 * string) would otherwise let error recovery swallow the rest of the file and
 * make every finding below it flicker while the user types. The next edit in
 * the stretch reads it again, and the tree splice rereads every flagged
 * stretch from the file's tree, so its result is again exactly the tree's.
 *
 * Returns undefined, leaving `previous` untouched, whenever this does not apply.
 */
export function spliceStatement(
  syntax: Syntax,
  text: string,
  path: string,
  moduleName: string | undefined,
  previous: ModuleModel,
  change: TextChange,
): ModuleModel | undefined {
  text = lspLineBreaks(text);
  const name = moduleName ?? defaultModuleName(path);
  const layout = layouts.get(previous);
  if (!layout || layout.treeErrors || previous.path !== path || previous.moduleName !== name) return undefined;
  const { starts, ends } = layout;
  const d = change.newEnd - change.oldEnd;
  // The entry (statement or comment) the edits fall in, or the blank lines between two entries they touch:
  // entries `first` to `last` are replaced (none, for blank lines), by whatever `[lo, hi)` now holds.
  const k = firstAtLeast(starts, change.start + 1) - 1;
  if (k < 0 || k + 1 >= starts.length) return undefined;
  let first = k;
  const last = k;
  let lo = starts[k];
  let hi = ends[k] + d;
  if (change.oldEnd > ends[k]) {
    if (change.start <= ends[k] || change.oldEnd >= starts[k + 1]) return undefined;
    first = k + 1;
    lo = text.lastIndexOf('\n', change.start - 1) + 1;
    hi = text.indexOf('\n', change.newEnd);
    if (lo <= ends[k] || hi < 0) return undefined;
  }
  const next = starts[k + 1] + d;
  // Not the first statement or the last: the module's own span and docstring stay put. (The docstring is
  // its first statement that is not a comment.)
  let docstringBefore = false;
  for (let i = 0; i < first && !docstringBefore; i++) docstringBefore = text.charCodeAt(starts[i]) !== HASH;
  if (!docstringBefore) return undefined;
  // (An empty statement is one the edits deleted, such as a line typed and then removed.)
  if (hi < lo || hi > next || text.charCodeAt(lo - 1) !== NEWLINE || text.charCodeAt(hi - 1) === BACKSLASH)
    return undefined;
  // Only whitespace, with at least one line break, between the statement and the next one.
  let sawNewline = false;
  for (let i = hi; i < next; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) sawNewline = true;
    else if (c !== 32 && c !== 9 && c !== 13 && c !== 12) return undefined;
  }
  if (!sawNewline || text.charCodeAt(next - 1) !== NEWLINE) return undefined;
  // Comments do not end a block: past the comments that follow, the next statement must start a line too,
  // or a block of the stretch could take it in (`   x` after a block that an edit indents by three).
  for (let j = last + 1; j < starts.length; j++) {
    const at = starts[j] + d;
    if (text.charCodeAt(at - 1) !== NEWLINE) return undefined;
    if (text.charCodeAt(at) !== HASH) break;
  }
  const source = text.slice(lo, hi);
  const tree = parse(syntax, source);
  try {
    // Syntax errors stay inside the statement being typed: the rest of the file keeps its items (see Layout).
    const errors = tree.rootNode.hasError;
    const nodes: { startIndex: number; endIndex: number }[] = [];
    if (errors) {
      // A broken stretch stays one entry, read again whole by the next edit in it (or by the tree splice).
      nodes.push({ startIndex: lo, endIndex: hi });
    } else {
      // Every statement it now holds starts a line: an indented one ("unexpected indent" parses without an
      // error) would be read differently in the file, where the indentation before it differs.
      const local = topLevelRanges(tree);
      for (const start of local.starts) if (start > 0 && source.charCodeAt(start - 1) !== NEWLINE) return undefined;
      for (let i = 0; i < local.starts.length; i++)
        nodes.push({ startIndex: local.starts[i] + lo, endIndex: local.ends[i] + lo });
    }
    const captures = modelCaptures(syntax, tree);
    const readers = prepareSource(source, errors);
    // Line numbers: where the statement starts, and how many lines the edits added.
    let loLine = 0;
    let lineCount = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) {
      if (i < lo) loLine++;
      lineCount++;
    }
    const dl = lineCount - previous.lines.length;
    let hiLine = loLine;
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) hiLine++;
    // A statement follows, so a line break ends the stretch's last line.
    const range = { from: lo, to: text.indexOf('\n', hi) + 1, more: true };
    const lines = spliceLines(previous.lines, text, range, loLine, hiLine - dl);
    const module = previous.scopes[0];
    const moduleScope: Scope = { ...module };
    moduleScope.end = module.end + d;
    moduleScope.span = { ...module.span, endLine: module.span.endLine + dl };
    moduleScope.nameSpan = { ...module.nameSpan, endLine: module.nameSpan.endLine + dl };
    const stretch: Stretch = { lo, hi, d, loLine, loCol: 0, hiLineOld: hiLine - dl, dl };
    const toFile: Shift = { offset: lo, lines: loLine, scopes: 0, regions: 0, calls: 0, writes: 0 };
    const newLayout = spliceLayout(layout, first, last, nodes, d, errors);
    const model = assemble(previous, path, name, stretch, text, lines, anyContained(newLayout), (parts, base) => {
      collectCaptures(parts, captures, readers, base);
      // The statement was read on its own (into empty lists): move its items to where it stands in the file.
      for (const item of parts.scopes) shiftScope(item, toFile);
      for (const item of parts.regions) shiftRegion(item, toFile);
      for (const item of parts.calls) shiftCall(item, toFile);
      for (const item of parts.writes) shiftWrite(item, toFile);
      for (const item of parts.decls) shiftDecl(item, toFile);
      for (const item of parts.flows) shiftFlow(item, toFile);
      for (const item of parts.imports) shiftImport(item, toFile);
    });
    model.scopes.unshift(moduleScope);
    layouts.set(model, newLayout);
    incrementalStats.statement++;
    return model;
  } finally {
    tree.delete();
  }
}

const HASH = 35;
const NEWLINE = 10;
const BACKSLASH = 92;

/** First index whose value is at least `value`, in an ascending array. */
function firstAtLeast(values: Int32Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index from `from` on whose item starts at or after `offset`; items are in document order. */
function firstStartingAt(items: { start: number }[], offset: number, from: number): number {
  let lo = from;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose span starts at or after `line`:`col`; for items without offsets (imports, declarations). */
function firstAtPosition(items: { span: Span }[], line: number, col: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = items[mid].span;
    if (s.line < line || (s.line === line && s.col < col)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function splice(
  syntax: Syntax,
  tree: Tree,
  text: string,
  path: string,
  moduleName: string,
  since: Previous,
): ModuleModel | undefined {
  const { model: previous, change } = since;
  const layout = layouts.get(previous);
  if (!layout || previous.path !== path || previous.moduleName !== moduleName) return undefined;
  const root = tree.rootNode;
  const d = change.newEnd - change.oldEnd;
  const { starts, ends } = layout;
  let lo = change.start;
  let hi = change.newEnd;
  // Error recovery can parse statements far from the edit differently, without tree-sitter reporting
  // them as changed (the indentation scanner's state leaks past an error; random edits found several
  // cases), so a tree with syntax errors, before or after, is extracted in full. Keystrokes that break
  // a statement rarely come here: spliceStatement keeps such errors inside their statement.
  if (root.hasError || layout.treeErrors) return undefined;
  // Entries read on their own with errors are read again from the tree, so the result is the tree's.
  if (layout.contained) {
    for (let i = 0; i < starts.length; i++) {
      if (!layout.contained[i]) continue;
      lo = Math.min(lo, starts[i] < change.start ? starts[i] : starts[i] + d);
      hi = Math.max(hi, ends[i] <= change.start ? ends[i] : ends[i] + d);
    }
  }
  // Grow [lo, hi) (new offsets; old ones are hi - d) until no statement of either text crosses or touches it.
  let first: number;
  let last: number;
  let around: ReturnType<typeof topLevelNodesAround>;
  for (;;) {
    first = firstAtLeast(ends, lo);
    last = firstAtLeast(starts, hi - d + 1) - 1;
    let nextLo = lo;
    let nextHi = hi;
    if (first <= last) {
      nextLo = Math.min(nextLo, starts[first]);
      nextHi = Math.max(nextHi, ends[last] + d);
    }
    around = topLevelNodesAround(tree, nextLo, nextHi);
    const { nodes } = around;
    if (nodes.length > 0) {
      nextLo = Math.min(nextLo, nodes[0].startIndex);
      nextHi = Math.max(nextHi, nodes[nodes.length - 1].endIndex);
    }
    if (nextLo === lo && nextHi === hi) break;
    lo = nextLo;
    hi = nextHi;
  }
  // The statements just outside the region must be the same ones in both trees.
  const { before, after } = around;
  if (before ? first < 1 || starts[first - 1] !== before.startIndex || ends[first - 1] !== before.endIndex : first > 0)
    return undefined;
  if (
    after
      ? last + 1 >= starts.length || starts[last + 1] + d !== after.startIndex || ends[last + 1] + d !== after.endIndex
      : last + 1 < starts.length
  )
    return undefined;
  // Items after the region keep their columns only when nothing but a comment follows it on its last line.
  let k = hi;
  while (k < text.length && /[ \t\r\f]/.test(text[k])) k++;
  if (k < text.length && text[k] !== '\n' && text[k] !== '#') return undefined;
  // The readers only read the region's statements, up to the end of its last line (a comment may follow
  // there): the scan maps just that stretch (its line table is whole).
  const lineEnd = text.indexOf('\n', hi);
  const readers = prepareSource(text, false, lo, lineEnd < 0 ? text.length : lineEnd);
  const scan = readers ?? lineTable(text);

  const captures: QueryCapture[] = [];
  for (const node of around.nodes) for (const c of modelCapturesOf(syntax, node)) captures.push(c);
  const loLine = lineOf(scan, lo);
  const dl = scan.lineCount - previous.lines.length;
  const hiLine = lineOf(scan, hi);
  const more = hiLine + 1 < scan.lineCount;
  const range = { from: scan.lineStarts[loLine], to: more ? scan.lineStarts[hiLine + 1] : text.length, more };
  const lines = spliceLines(previous.lines, text, range, loLine, hiLine - dl);
  const stretch: Stretch = { lo, hi, d, loLine, loCol: lo - scan.lineStarts[loLine], hiLineOld: hiLine - dl, dl };
  const model = assemble(previous, path, moduleName, stretch, text, lines, false, (parts, base) =>
    collectCaptures(parts, captures, readers, base),
  );
  model.scopes.unshift(moduleScope(root));
  // Every statement now comes from the (error-free) tree: none is flagged any more.
  layouts.set(model, { ...spliceLayout(layout, first, last, around.nodes, d, false), contained: undefined });
  return model;
}

/** Where the re-extracted region lies: `[lo, hi)` of the new text, which was `[lo, hi - d)` of the old. */
interface Stretch {
  lo: number;
  hi: number;
  d: number;
  loLine: number;
  loCol: number;
  /** The old text's line that held `hi - d`. */
  hiLineOld: number;
  /** Lines added (or, negative, removed). */
  dl: number;
}

/**
 * The new model: the previous model's items before the region, the region's
 * items (`extract` appends them, numbered from the base it gets), and the
 * previous items after the region moved in place. The module scope (id 0) is
 * left for the caller to put first.
 */
function assemble(
  previous: ModuleModel,
  path: string,
  moduleName: string,
  stretch: Stretch,
  text: string,
  lines: string[],
  hasErrors: boolean,
  extract: (parts: ModelParts, base: IdBase) => void,
): ModuleModel {
  const { lo, hi, d, loLine, loCol, hiLineOld, dl } = stretch;
  const hiOld = hi - d;
  const range = {
    scopes: [firstStartingAt(previous.scopes, lo, 1), firstStartingAt(previous.scopes, hiOld, 1)],
    regions: [firstStartingAt(previous.regions, lo, 0), firstStartingAt(previous.regions, hiOld, 0)],
    calls: [firstStartingAt(previous.calls, lo, 0), firstStartingAt(previous.calls, hiOld, 0)],
    writes: [firstStartingAt(previous.writes, lo, 0), firstStartingAt(previous.writes, hiOld, 0)],
    decls: [firstAtPosition(previous.decls, loLine, loCol), firstAtPosition(previous.decls, hiLineOld + 1, 0)],
    imports: [firstAtPosition(previous.imports, loLine, loCol), firstAtPosition(previous.imports, hiLineOld + 1, 0)],
    flows: [firstStartingAt(previous.flows, lo, 0), firstStartingAt(previous.flows, hiOld, 0)],
  };
  const parts: ModelParts = { scopes: [], regions: [], calls: [], writes: [], decls: [], imports: [], flows: [] };
  const base = { scopes: range.scopes[0], regions: range.regions[0], calls: range.calls[0], writes: range.writes[0] };
  extract(parts, base);
  const shift: Shift = {
    offset: d,
    lines: dl,
    scopes: parts.scopes.length - (range.scopes[1] - range.scopes[0]),
    regions: parts.regions.length - (range.regions[1] - range.regions[0]),
    calls: parts.calls.length - (range.calls[1] - range.calls[0]),
    writes: parts.writes.length - (range.writes[1] - range.writes[0]),
  };
  return {
    path,
    moduleName,
    lines,
    directiveLines: directiveLines(text, lines),
    scopes: joined(
      previous.scopes.slice(1, range.scopes[0]),
      parts.scopes,
      previous.scopes,
      range.scopes[1],
      shift,
      shiftScope,
    ),
    regions: joined(
      previous.regions.slice(0, range.regions[0]),
      parts.regions,
      previous.regions,
      range.regions[1],
      shift,
      shiftRegion,
    ),
    calls: joined(
      previous.calls.slice(0, range.calls[0]),
      parts.calls,
      previous.calls,
      range.calls[1],
      shift,
      shiftCall,
    ),
    writes: joined(
      previous.writes.slice(0, range.writes[0]),
      parts.writes,
      previous.writes,
      range.writes[1],
      shift,
      shiftWrite,
    ),
    decls: joined(
      previous.decls.slice(0, range.decls[0]),
      parts.decls,
      previous.decls,
      range.decls[1],
      shift,
      shiftDecl,
    ),
    imports: joined(
      previous.imports.slice(0, range.imports[0]),
      parts.imports,
      previous.imports,
      range.imports[1],
      shift,
      shiftImport,
    ),
    flows: joined(
      previous.flows.slice(0, range.flows[0]),
      parts.flows,
      previous.flows,
      range.flows[1],
      shift,
      shiftFlow,
    ),
    hasErrors,
  };
}

/**
 * The lines of the new text: the old ones before the region's first line and
 * after its last, and the region's lines split again. Only the lines the
 * edits touched become new strings. `[from, to)` holds the region's lines:
 * with `more` (another line follows), `to` is just past the line break ending
 * the last one, so a `\r` before it goes with it; otherwise it is the end of
 * the text. `first` is the first line's number, `lastOld` the old number of
 * the last.
 */
function spliceLines(
  old: string[],
  text: string,
  range: { from: number; to: number; more: boolean },
  first: number,
  lastOld: number,
): string[] {
  const middle = splitLines(text.slice(range.from, range.to));
  if (range.more) middle.pop();
  const lines = old.slice(0, first);
  for (const line of middle) lines.push(line);
  for (let i = lastOld + 1; i < old.length; i++) lines.push(old[i]);
  return lines;
}

/** How items after the region move: offsets, lines, and the id of each list. */
interface Shift {
  offset: number;
  lines: number;
  scopes: number;
  regions: number;
  calls: number;
  writes: number;
}

/**
 * `head`, then `middle`, then the items of `old` from `from` on, shifted in
 * place: the previous model is given up to the new one (see `Previous`), and
 * moving thousands of items costs far less than copying them. Spans are
 * replaced rather than changed, since items may share one (imports do).
 */
function joined<T>(
  head: T[],
  middle: T[],
  old: T[],
  from: number,
  shift: Shift,
  move: (item: T, shift: Shift) => T,
): T[] {
  for (const item of middle) head.push(item);
  const same =
    shift.offset === 0 &&
    shift.lines === 0 &&
    shift.scopes === 0 &&
    shift.regions === 0 &&
    shift.calls === 0 &&
    shift.writes === 0;
  for (let i = from; i < old.length; i++) head.push(same ? old[i] : move(old[i], shift));
  return head;
}

function moveSpan(span: Span, lines: number): Span {
  return lines === 0
    ? span
    : { line: span.line + lines, col: span.col, endLine: span.endLine + lines, endCol: span.endCol };
}

/** Scope references: the module (0) stays, any other scope after the region moves with it. */
function moveScope(id: number, shift: Shift): number {
  return id > 0 ? id + shift.scopes : id;
}

function moveRegions(ids: number[], shift: Shift): number[] {
  return shift.regions === 0 ? ids : ids.map((id) => id + shift.regions);
}

function shiftScope(s: Scope, shift: Shift): Scope {
  const d = shift.offset;
  s.id += shift.scopes;
  s.parent = moveScope(s.parent, shift);
  s.start += d;
  s.end += d;
  s.bodyStart += d;
  if (shift.lines !== 0) {
    s.span = moveSpan(s.span, shift.lines);
    s.nameSpan = moveSpan(s.nameSpan, shift.lines);
  }
  return s;
}

function shiftRegion(r: Region, shift: Shift): Region {
  const d = shift.offset;
  r.id += shift.regions;
  r.scope = moveScope(r.scope, shift);
  r.start += d;
  r.end += d;
  r.bodyStart += d;
  // Only if-statements (their consequence) and try statements (their body) have one; the others keep 0.
  if (r.kind === 'if' || r.kind === 'try') {
    r.thenStart += d;
    r.thenEnd += d;
  }
  if (shift.lines !== 0) {
    r.span = moveSpan(r.span, shift.lines);
    for (const item of r.items) item.span = moveSpan(item.span, shift.lines);
  }
  return r;
}

function shiftCall(c: Call, shift: Shift): Call {
  c.id += shift.calls;
  c.scope = moveScope(c.scope, shift);
  c.regions = moveRegions(c.regions, shift);
  c.start += shift.offset;
  c.end += shift.offset;
  if (shift.lines !== 0) {
    c.span = moveSpan(c.span, shift.lines);
    for (const a of c.args) a.span = moveSpan(a.span, shift.lines);
  }
  return c;
}

function shiftWrite(w: Write, shift: Shift): Write {
  w.id += shift.writes;
  w.scope = moveScope(w.scope, shift);
  w.regions = moveRegions(w.regions, shift);
  w.start += shift.offset;
  w.end += shift.offset;
  if (w.valueStart !== undefined) w.valueStart += shift.offset;
  if (shift.lines !== 0) {
    w.span = moveSpan(w.span, shift.lines);
    for (const t of w.targets) t.span = moveSpan(t.span, shift.lines);
  }
  return w;
}

function shiftDecl(d: Decl, shift: Shift): Decl {
  d.scope = moveScope(d.scope, shift);
  d.span = moveSpan(d.span, shift.lines);
  return d;
}

function shiftFlow(f: Flow, shift: Shift): Flow {
  f.scope = moveScope(f.scope, shift);
  f.start += shift.offset;
  f.end += shift.offset;
  if (shift.lines !== 0) f.span = moveSpan(f.span, shift.lines);
  return f;
}

function shiftImport(i: Import, shift: Shift): Import {
  i.scope = moveScope(i.scope, shift);
  i.span = moveSpan(i.span, shift.lines);
  return i;
}

/** The layout of the new text: old statements before `first`, the region's nodes, old ones after `last` moved by `d`. */
function spliceLayout(
  layout: Layout,
  first: number,
  last: number,
  nodes: { startIndex: number; endIndex: number }[],
  d: number,
  contained: boolean,
): Layout {
  const tail = layout.starts.length - (last + 1);
  const count = first + nodes.length + tail;
  const starts = new Int32Array(count);
  const ends = new Int32Array(count);
  starts.set(layout.starts.subarray(0, first));
  ends.set(layout.ends.subarray(0, first));
  for (let i = 0; i < nodes.length; i++) {
    starts[first + i] = nodes[i].startIndex;
    ends[first + i] = nodes[i].endIndex;
  }
  for (let i = 0; i < tail; i++) {
    starts[first + nodes.length + i] = layout.starts[last + 1 + i] + d;
    ends[first + nodes.length + i] = layout.ends[last + 1 + i] + d;
  }
  let flags: Uint8Array | undefined;
  if (contained || layout.contained) {
    flags = new Uint8Array(count);
    if (layout.contained) {
      flags.set(layout.contained.subarray(0, first));
      flags.set(layout.contained.subarray(last + 1), first + nodes.length);
    }
    if (contained) flags.fill(1, first, first + nodes.length);
  }
  return { starts, ends, contained: flags, treeErrors: layout.treeErrors };
}
