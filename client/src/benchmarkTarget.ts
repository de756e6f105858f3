/**
 * Picks what to benchmark from the editor text, without VS Code or the
 * parser: the function around a line (a top-level function, or a method as
 * `Class.method`), and a call to prefill the input box with. The prefill
 * comes from the spawn site's `args=` (or `submit(f, ...)`), else from the
 * function's defaults, else `f()`; only literal-looking arguments are used,
 * because the harness accepts nothing else. Kept pure so it is unit-tested.
 */

export interface BenchTarget {
  /** The function's own name. */
  name: string;
  /** `name` or `Class.method`: what the harness looks up. */
  qualified: string;
  defLine: number;
  /** Parameter texts as written, without `self`/`cls`, e.g. `n=10`. */
  params: string[];
}

const DEF = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;
const CLASS = /^(\s*)class\s+([A-Za-z_]\w*)\b/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The function whose body or def line contains `line`; undefined for nested functions. */
export function functionAt(lines: string[], line: number): BenchTarget | undefined {
  let limit = Number.POSITIVE_INFINITY;
  let found: { name: string; defLine: number; indent: number } | undefined;
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const text = lines[i];
    if (!text.trim() || text.trimStart().startsWith('#')) continue;
    const indent = indentOf(text);
    if (i !== line && indent >= limit) continue;
    const def = DEF.exec(text);
    const cls = CLASS.exec(text);
    if (found) {
      // Above the def: only an enclosing class (or def) matters.
      if (indent >= found.indent) continue;
      if (cls) return target(found.name, `${cls[2]}.${found.name}`, found.defLine, lines);
      if (def) return undefined;
      limit = indent;
      continue;
    }
    if (def) {
      found = { name: def[2], defLine: i, indent };
      if (indent === 0) return target(found.name, found.name, i, lines);
    }
    limit = Math.min(limit, indent);
  }
  return found && found.indent === 0 ? target(found.name, found.name, found.defLine, lines) : undefined;
}

function target(name: string, qualified: string, defLine: number, lines: string[]): BenchTarget {
  const header = lines.slice(defLine, defLine + 30).join('\n');
  const open = header.indexOf('(');
  const inner = enclosed(header, open);
  const params = splitTopLevel(inner ?? '')
    .map((p) => p.trim())
    .filter((p) => p && p !== '/' && p !== '*' && !/^(self|cls)\b/.test(p));
  return { name, qualified, defLine, params };
}

/** The text between the bracket at `open` and its match, or undefined. */
export function enclosed(text: string, open: number): string | undefined {
  let depth = 0;
  let quote = '';
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

/** Splits on commas outside brackets and strings. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim());
}

/** True when the text looks like a Python literal: no names but True, False and None outside strings. */
export function looksLiteral(text: string): boolean {
  if (!text.trim()) return false;
  const bare = text
    .replace(/[bBrRuU]{0,2}(["'])(?:\\.|(?!\1).)*\1/g, '""')
    .replace(/\b0[xXoObB][\da-fA-F_]+\b|\b\d[\d_]*(?:\.\d*)?(?:[eE][+-]?\d+)?[jJ]?\b/g, '0');
  const names = bare.match(/[A-Za-z_]\w*/g) ?? [];
  return names.every((n) => n === 'True' || n === 'False' || n === 'None');
}

/** Arguments at a spawn site: `target=name, args=(...)` or `submit(name, ...)`. */
function spawnArgs(text: string, name: string): string[] | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const targetKw = new RegExp(`target\\s*=\\s*(?:self\\.)?${escaped}\\b`, 'g');
  for (const match of text.matchAll(targetKw)) {
    const window = text.slice(match.index ?? 0, (match.index ?? 0) + 400);
    const args = /args\s*=\s*([([])/.exec(window);
    if (!args) continue;
    const inner = enclosed(window, (args.index ?? 0) + args[0].length - 1);
    if (inner !== undefined) return splitTopLevel(inner).map((a) => a.trim());
  }
  const submit = new RegExp(`\\.(?:submit|to_thread)\\(\\s*(?:self\\.)?${escaped}\\s*,`, 'g');
  for (const match of text.matchAll(submit)) {
    const open = (match.index ?? 0) + match[0].indexOf('(');
    const inner = enclosed(text, open);
    if (inner !== undefined)
      return splitTopLevel(inner)
        .slice(1)
        .map((a) => a.trim());
  }
  return undefined;
}

/** The call to prefill: spawn-site args, else defaults, else `name()`. */
export function suggestCall(text: string, fn: BenchTarget): string {
  const fromSpawn = spawnArgs(text, fn.name);
  if (fromSpawn?.length && fromSpawn.every(looksLiteral)) return `${fn.name}(${fromSpawn.join(', ')})`;
  const defaults = fn.params
    .filter((p) => !p.startsWith('*'))
    .map((p) => /=(.*)$/s.exec(p.replace(/:[^=]*=/, '='))?.[1]?.trim());
  if (defaults.length && defaults.every((d): d is string => d !== undefined && looksLiteral(d))) {
    return `${fn.name}(${defaults.join(', ')})`;
  }
  return `${fn.name}()`;
}
