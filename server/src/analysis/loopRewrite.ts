/**
 * The ProcessPoolExecutor rewrite of a start/join thread loop, offered with
 * `cpu-bound-thread` when the shape is mechanical:
 *
 *     threads = [threading.Thread(target=f, args=(a, x)) for x in xs]
 *     for t in threads:
 *         t.start()
 *     for t in threads:
 *         t.join()
 *
 * becomes
 *
 *     with ProcessPoolExecutor() as pool:
 *         futures = [pool.submit(f, a, x) for x in xs]
 *         for future in futures:
 *             future.result()
 *
 * Anything else (other statements between, the list used afterwards, code
 * at module level without a `__main__` guard, multi-line comprehensions)
 * gets no rewrite: a wrong edit is worse than none.
 */
import { fromImportEdit, textOf } from './fixes';
import { type ModuleIndex, mentions } from './resolve';
import { isPicklableTarget, type SpawnSite } from './targets';
import type { Fix } from './types';

/** `(a, b)` → `a, b`; `(a,)` → `a`; a name stays a `*name` splat. */
function argList(text: string | undefined): string | undefined {
  if (text === undefined) return '';
  const t = text.trim();
  if (/^\(.*\)$/s.test(t)) return t.slice(1, -1).replace(/,\s*$/, '').trim();
  if (/^\[.*\]$/s.test(t)) return t.slice(1, -1).replace(/,\s*$/, '').trim();
  if (/^[A-Za-z_][\w.]*$/.test(t)) return `*${t}`;
  return undefined;
}

function freeName(used: string, name: string): string {
  let n = name;
  while (mentions(used, n)) n = `${n}_`;
  return n;
}

export function threadLoopRewrite(mod: ModuleIndex, site: SpawnSite): Fix | undefined {
  const { call } = site;
  const model = mod.model;
  if (site.kind !== 'thread' || site.targets.length !== 1 || !isPicklableTarget(site.targets[0])) return undefined;
  if (call.scope === 0) return undefined;
  const comp = call.regions.map((id) => model.regions[id]).find((r) => r.kind === 'comprehension');
  if (!comp || comp.span.line !== comp.span.endLine || call.span.line !== comp.span.line) return undefined;
  const assign = (mod.writesByScope.get(call.scope) ?? []).find(
    (w) =>
      w.kind === 'assign' &&
      w.targets.length === 1 &&
      w.targets[0].kind === 'identifier' &&
      w.start <= comp.start &&
      w.end >= comp.end,
  );
  if (!assign || assign.span.line !== comp.span.line) return undefined;
  const list = assign.targets[0].text;
  const line = assign.span.line;
  const indent = /^\s*/.exec(model.lines[line])?.[0] ?? '';
  const loop = (l: number, method: string): boolean => {
    const head = new RegExp(`^${indent}for (\\w+) in ${list}:\\s*$`).exec(model.lines[l] ?? '');
    return !!head && new RegExp(`^${indent}\\s+${head[1]}\\.${method}\\(\\)\\s*$`).test(model.lines[l + 1] ?? '');
  };
  if (!loop(line + 1, 'start') || !loop(line + 3, 'join')) return undefined;
  // Comments on the loop lines would be lost; only the assignment's trailing comment is carried over.
  if (model.lines.slice(line + 1, line + 5).some((l) => l.includes('#'))) return undefined;
  const trailing = model.lines[line].slice(assign.span.endCol).trimEnd();
  const scope = model.scopes[call.scope];
  const rest = model.lines.slice(line + 5, scope.span.endLine + 1).join('\n');
  if (mentions(rest, list)) return undefined;
  const target = site.targetArg?.text;
  // Argument texts come from the source, not the model's compacted text, so the user's spacing survives.
  const argsArg = call.args.find((a) => a.keyword === 'args');
  const kwargsArg = call.args.find((a) => a.keyword === 'kwargs');
  const args = argList(argsArg && textOf(model, argsArg.span));
  const kwargs = kwargsArg && textOf(model, kwargsArg.span);
  if (!target || args === undefined || call.args.some((a) => !a.keyword && a !== site.targetArg)) return undefined;
  const used = model.lines.slice(scope.span.line, scope.span.endLine + 1).join('\n');
  const pool = freeName(used, 'pool');
  const futures = freeName(used, 'futures');
  const future = freeName(used, 'future');
  const submitArgs = [target, args, kwargs ? `**${kwargs}` : ''].filter(Boolean).join(', ');
  const compText = textOf(model, comp.span);
  const callStart = call.span.col - comp.span.col;
  const newComp = `${compText.slice(0, callStart)}${pool}.submit(${submitArgs})${compText.slice(callStart + (call.span.endCol - call.span.col))}`;
  const body = [
    `${indent}with ProcessPoolExecutor() as ${pool}:`,
    `${indent}    ${futures} = ${newComp}${trailing}`,
    `${indent}    for ${future} in ${futures}:`,
    `${indent}        ${future}.result()`,
  ].join('\n');
  const last = line + 4;
  const edits = [{ span: { line, col: 0, endLine: last, endCol: model.lines[last].length }, newText: body }];
  const imp = fromImportEdit(model, 'concurrent.futures', 'ProcessPoolExecutor');
  if (imp) edits.unshift(imp);
  return { title: 'Rewrite the thread loop with ProcessPoolExecutor', edits, isPreferred: true };
}
