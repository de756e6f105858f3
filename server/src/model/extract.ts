/**
 * Builds the plain-data ModuleModel from one parsed tree.
 *
 * It runs the compiled model query once and walks its captures in document
 * order, keeping a stack of the open scopes and regions, so every call and
 * write learns its enclosing function, loops, with-blocks and ifs in one
 * linear pass.
 *
 * Reading a node's fields or end through wasm costs about as much per call as
 * the whole query costs per capture, so the frequent captures (calls and
 * assignments) are read from the source text (textFacts.ts) when the tree has
 * no syntax errors; the node readers (nodeFacts.ts) handle the rest and every
 * case the text readers decline. Both produce identical objects.
 *
 * In a tree with syntax errors, a `def` or `class` keyword left loose in an
 * ERROR node still opens its scope (stranded.ts), so a body error recovery
 * gave up on is not read as module code.
 *
 * The capture sweep (`collectCaptures`) also serves incremental.ts, which
 * runs it over the top-level statements an edit touched, numbering the new
 * items after the unchanged ones before them.
 */
import { lspLineBreaks } from '../syntax/lineBreaks';
import { modelCaptures, type Node, type QueryCapture, type Syntax, type Tree } from '../syntax/parser';
import {
  callOf,
  declOf,
  decoratorsOf,
  flowOf,
  ifRegionOf,
  importsOf,
  mayBeDecorated,
  moduleScope,
  nodeSource,
  regionOf,
  scopeOf,
  setNodeSource,
  writeOf,
} from './nodeFacts';
import { buildScan, lineOf, type Scan } from './scan';
import { strandedScope } from './stranded';
import { assignmentFromText, callFromText } from './textFacts';
import { scopeFromText } from './textScopes';
import type { Call, ModuleModel, RegionKind, Scope, Span } from './types';

export { spanOf } from './nodeFacts';

interface Open {
  end: number;
  scope?: number;
  region?: number;
}

/** Capture names split once into group and kind (`write.assign` gives `write`, `assign`). */
const CAPTURE_PARTS = new Map<string, [string, string]>();

function captureParts(name: string): [string, string] {
  let parts = CAPTURE_PARTS.get(name);
  if (!parts) {
    const dot = name.indexOf('.');
    parts = dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
    CAPTURE_PARTS.set(name, parts);
  }
  return parts;
}

/** The lines a model of `text` holds (extractModel): split where the parser saw line breaks, lone `\r` ones included. */
export function sourceLines(text: string): string[] {
  return splitLines(lspLineBreaks(text));
}

/** `text.split(/\r?\n/)`, without the regular expression when there is no carriage return (most files). */
export function splitLines(text: string): string[] {
  return text.includes('\r') ? text.split(/\r?\n/) : text.split('\n');
}

/** The lines of `text` that mention `gil-lens` (suppression comments); one search of the text when none does. */
export function directiveLines(text: string, lines: string[]): number[] {
  const found: number[] = [];
  if (!text.includes(DIRECTIVE)) return found;
  for (let i = 0; i < lines.length; i++) if (lines[i].includes(DIRECTIVE)) found.push(i);
  return found;
}

const DIRECTIVE = 'gil-lens';

/** How many captures from `from` on are calls starting at `start`. */
function callsStartingAt(captures: QueryCapture[], from: number, start: number): number {
  let k = from;
  while (k < captures.length && captures[k].name === 'call' && captures[k].node.startIndex === start) k++;
  return k - from;
}

/** The item lists of a model, which a capture sweep appends to. */
export type ModelParts = Pick<ModuleModel, 'scopes' | 'regions' | 'calls' | 'writes' | 'decls' | 'imports' | 'flows'>;

/** The id the first item appended to each list gets, less that list's current length. */
export interface IdBase {
  scopes: number;
  regions: number;
  calls: number;
  writes: number;
}

const NO_BASE: IdBase = { scopes: 0, regions: 0, calls: 0, writes: 0 };

/**
 * Point the readers at `text`: the node readers' source slot, and the text
 * scan when the tree has no syntax errors and the scan balances.
 */
export function prepareSource(text: string, hasErrors: boolean, from?: number, to?: number): Scan | undefined {
  setNodeSource(text);
  if (hasErrors) return undefined;
  const scan = buildScan(text, from, to);
  return scan.ok ? scan : undefined;
}

/** Extract the model of `text`, whose tree is `tree`. The tree stays owned by the caller. */
export function extractModel(syntax: Syntax, tree: Tree, text: string, path: string, moduleName?: string): ModuleModel {
  // The tree was parsed from this text with lone `\r` line breaks made `\n` (syntax/lineBreaks.ts).
  text = lspLineBreaks(text);
  const root: Node = tree.rootNode;
  const hasErrors = root.hasError;
  const scan = prepareSource(text, hasErrors);
  const lines = splitLines(text);
  const model: ModuleModel = {
    path,
    moduleName: moduleName ?? defaultModuleName(path),
    lines,
    directiveLines: directiveLines(text, lines),
    scopes: [moduleScope(root)],
    regions: [],
    calls: [],
    writes: [],
    decls: [],
    imports: [],
    flows: [],
    hasErrors,
  };
  collectCaptures(model, modelCaptures(syntax, tree), scan, NO_BASE);
  return model;
}

/**
 * Turn captures (in document order, all inside top-level statements) into
 * model items appended to `parts`. Item ids are `base` plus the list's length
 * at the time, so a sweep over some statements can continue the numbering of
 * the statements before them; enclosing scopes start at the module (id 0).
 */
export function collectCaptures(
  parts: ModelParts,
  captures: QueryCapture[],
  scan: Scan | undefined,
  base: IdBase,
): void {
  const stack: Open[] = [];
  const awaitEnds = new Set<number>();
  // Calls sharing a start (`f(a)(b)`) arrive together, outermost first.
  let callStart = -1;
  let callsLeft = 0;
  for (let c = 0; c < captures.length; c++) {
    const { name, node } = captures[c];
    const start = node.startIndex;
    while (stack.length > 0 && stack[stack.length - 1].end <= start) stack.pop();
    let scope = 0;
    let inner = stack.length - 1;
    while (inner >= 0 && stack[inner].scope === undefined) inner--;
    if (inner >= 0) scope = stack[inner].scope as number;
    // Sized up front, as scan.ts `exact` sizes the other short lists: an array grown by unshift keeps spare room.
    const regions: number[] = new Array(stack.length - 1 - inner);
    for (let i = inner + 1, k = 0; i < stack.length; i++) regions[k++] = stack[i].region as number;
    const [group, kind] = captureParts(name);
    switch (group) {
      case 'scope': {
        const id = base.scopes + parts.scopes.length;
        let s: Scope | undefined;
        if (scan && kind !== 'lambda') {
          const at = node.startPosition;
          const decorators = mayBeDecorated(start) ? decoratorsOf(node) : [];
          const f = kind as 'function' | 'class';
          s = scopeFromText(scan, start, at.row, at.column, node.endIndex, f, id, scope, decorators);
        }
        s ??= scopeOf(node, kind as 'function' | 'class' | 'lambda', id, scope);
        parts.scopes.push(s);
        stack.push({ end: s.end, scope: s.id });
        break;
      }
      case 'region': {
        const id = base.regions + parts.regions.length;
        const r =
          scan && kind === 'if'
            ? ifRegionOf(node, id, scope, ...spanAndEnd(scan, node))
            : regionOf(node, kind as RegionKind, id, scope);
        parts.regions.push(r);
        stack.push({ end: r.end, region: r.id });
        break;
      }
      case 'call': {
        if (start !== callStart) {
          callStart = start;
          callsLeft = callsStartingAt(captures, c, start);
        }
        const id = base.calls + parts.calls.length;
        const at = node.startPosition;
        const call = scan && callFromText(scan, start, at.row, at.column, callsLeft, id, scope, regions);
        callsLeft--;
        parts.calls.push(call || callOf(node, id, scope, regions));
        break;
      }
      case 'write': {
        const id = base.writes + parts.writes.length;
        const at = node.startPosition;
        const fast =
          scan && kind === 'assign' && assignmentFromText(scan, start, at.row, at.column, id, scope, regions);
        const w = fast || writeOf(node, kind, id, scope, regions);
        if (w) parts.writes.push(w);
        break;
      }
      case 'flow':
        parts.flows.push(flowOf(node, kind as 'return' | 'yield', scope));
        break;
      case 'decl':
        parts.decls.push(declOf(node, kind as 'global' | 'nonlocal', scope));
        break;
      case 'import':
        parts.imports.push(...importsOf(node, kind === 'from', scope));
        break;
      case 'mark':
        if (kind === 'await') {
          awaitEnds.add(node.endIndex);
        } else {
          // A `def` or `class` keyword error recovery left loose (stranded.ts).
          const id = base.scopes + parts.scopes.length;
          const limit = stack.length > 0 ? stack[stack.length - 1].end : Number.POSITIVE_INFINITY;
          const f = kind === 'def' ? 'function' : 'class';
          const s = strandedScope(nodeSource(), node, f, id, scope, limit);
          if (s) {
            parts.scopes.push(s);
            stack.push({ end: s.end, scope: s.id });
          }
        }
        break;
    }
  }
  linkCalls(parts, awaitEnds);
}

/** Span and end offset of a node from one `endIndex` call; the end position comes from the line table. */
function spanAndEnd(scan: Scan, node: Node): [Span, number] {
  const at = node.startPosition;
  const end = node.endIndex;
  const endLine = lineOf(scan, end);
  return [{ line: at.row, col: at.column, endLine, endCol: end - scan.lineStarts[endLine] }, end];
}

/** Derive per-call facts from other captures instead of walking up from each call node. */
function linkCalls(model: ModelParts, awaitEnds: Set<number>): void {
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
