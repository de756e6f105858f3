/**
 * Builders for structured fixes: text edits computed from the model's lines
 * and spans, so the editor applies them without re-parsing anything. Every
 * builder returns undefined when the shape is not mechanical; a wrong edit is
 * worse than none. Every edit stays inside the document, a last line without
 * a line break included.
 */
import type { ModuleModel, Span } from '../model/types';
import type { Fix, TextEdit } from './types';

/**
 * Gives `finding` a `fixes` property that builds them on first read and keeps them, when `lazy`: most
 * findings' fixes are never asked for (a keystroke republishes hundreds of diagnostics; code actions ask
 * for the few under the cursor). They are read from a report whose models have not been spliced since,
 * which is every report an edge uses. Runs that carry facts (the document being edited) are lazy; the
 * others build fixes at once, so that the reports of the many documents only open keep no analysis state.
 */
export function withLazyFixes<T extends object>(finding: T, build: () => Fix[], lazy: boolean): T & { fixes: Fix[] } {
  if (!lazy) return Object.assign(finding, { fixes: build() });
  let fixes: Fix[] | undefined;
  Object.defineProperty(finding, 'fixes', {
    enumerable: true,
    configurable: true,
    get: () => {
      fixes ??= build();
      return fixes;
    },
  });
  return finding as T & { fixes: Fix[] };
}

export function textOf(model: ModuleModel, span: Span): string {
  if (span.line === span.endLine) return model.lines[span.line]?.slice(span.col, span.endCol) ?? '';
  const parts = [model.lines[span.line]?.slice(span.col) ?? ''];
  for (let l = span.line + 1; l < span.endLine; l++) parts.push(model.lines[l] ?? '');
  parts.push(model.lines[span.endLine]?.slice(0, span.endCol) ?? '');
  return parts.join('\n');
}

function point(line: number, col: number): Span {
  return { line, col, endLine: line, endCol: col };
}

/**
 * An edit inserting whole lines (`newText` ends in a line break) before
 * `line`. Past the last line, which a file without a final line break has
 * no start for, they go at the end of the last line after a line break of
 * their own, so the edit stays inside the document.
 */
function insertLines(model: ModuleModel, line: number, newText: string): TextEdit {
  const last = model.lines.length - 1;
  if (line <= last) return { span: point(line, 0), newText };
  return { span: point(last, model.lines[last].length), newText: `\n${newText.replace(/\n$/, '')}` };
}

/** Line after the module docstring and the last top-level import, where new imports and globals go. */
function afterImports(model: ModuleModel): number {
  let line = 0;
  for (const imp of model.imports) if (imp.scope === 0 && imp.span.endLine + 1 > line) line = imp.span.endLine + 1;
  if (line === 0 && model.scopes[0].docstring) {
    const idx = model.lines.findIndex((l, i) => i > 0 && /("""|''')\s*$/.test(l));
    if (/^("""|''')/.test(model.lines[0]) && !/^(""".*"""|'''.*''')\s*$/.test(model.lines[0])) line = idx + 1;
    else line = 1;
  }
  while (line < model.lines.length && /^\s*from __future__/.test(model.lines[line])) line++;
  return line;
}

/** An edit adding `import module` when no import binds it yet. */
export function importEdit(model: ModuleModel, module: string): TextEdit | undefined {
  if (model.imports.some((i) => i.scope === 0 && !i.fromImport && i.local === module.split('.')[0])) return undefined;
  return insertLines(model, afterImports(model), `import ${module}\n`);
}

/** An edit making `name` importable from `module` (extends an existing `from module import ...`). */
export function fromImportEdit(model: ModuleModel, module: string, name: string): TextEdit | undefined {
  if (model.imports.some((i) => i.local === name && i.qualified === `${module}.${name}`)) return undefined;
  const existing = model.imports.find((i) => i.fromImport && i.qualified.startsWith(`${module}.`) && i.scope === 0);
  if (existing && existing.span.line === existing.span.endLine) {
    const text = model.lines[existing.span.line];
    const end = text.replace(/\s*(#.*)?$/, '').length;
    const closing = text[end - 1] === ')' ? end - 1 : end;
    return { span: point(existing.span.line, closing), newText: `, ${name}` };
  }
  return insertLines(model, afterImports(model), `from ${module} import ${name}\n`);
}

function indentOf(line: string): string {
  return /^\s*/.exec(line)?.[0] ?? '';
}

/** Wrap whole-line statement(s) in `with lock:`; undefined when the statement shares its line with other code. */
export function wrapInWith(model: ModuleModel, stmt: Span, lock: string): TextEdit | undefined {
  const first = model.lines[stmt.line] ?? '';
  if (first.slice(0, stmt.col).trim() !== '') return undefined;
  const indent = indentOf(first);
  const lines = model.lines.slice(stmt.line, stmt.endLine + 1);
  const body = lines.map((l) => (l.trim() === '' ? l : `    ${l}`)).join('\n');
  const last = model.lines[stmt.endLine] ?? '';
  return {
    span: { line: stmt.line, col: 0, endLine: stmt.endLine, endCol: last.length },
    newText: `${indent}with ${lock}:\n${body}`,
  };
}

/** A module-level `name = threading.Lock()` after the imports, with the import when missing. */
export function newModuleLock(model: ModuleModel, name: string): TextEdit[] {
  const imp = importEdit(model, 'threading') ? `import threading\n` : '';
  return [insertLines(model, afterImports(model), `${imp}${name} = threading.Lock()\n`)];
}

/** Move module-level code from `fromLine` to the end of the file under a `__main__` guard. */
export function mainGuardFix(model: ModuleModel, fromLine: number): Fix | undefined {
  const rest = model.lines.slice(fromLine);
  // Definitions after the pool must stay importable by workers; only plain script code moves.
  if (rest.some((l) => /^(def|class|async def|@)\b/.test(l))) return undefined;
  let end = model.lines.length - 1;
  while (end > fromLine && model.lines[end].trim() === '') end--;
  const body = model.lines
    .slice(fromLine, end + 1)
    .map((l) => (l.trim() === '' ? l : `    ${l}`))
    .join('\n');
  return {
    title: 'Move the pool under `if __name__ == "__main__":`',
    edits: [
      {
        span: { line: fromLine, col: 0, endLine: end, endCol: model.lines[end].length },
        newText: `if __name__ == "__main__":\n${body}`,
      },
    ],
  };
}

/** A Python identifier for a new lock guarding `state`. */
export function lockNameFor(state: string): string {
  const base = state
    .replace(/^self\./, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  return `${base || 'state'}_lock`;
}

/**
 * Replace `from module import old` with `new` when the edit being made removes the last use of `old`;
 * otherwise just make `new` importable. Keeps the import list tidy without guessing at other uses.
 */
export function swapFromImport(
  model: ModuleModel,
  module: string,
  oldName: string,
  newName: string,
): TextEdit | undefined {
  const imp = model.imports.find(
    (i) => i.fromImport && i.scope === 0 && i.local === oldName && i.qualified === `${module}.${oldName}`,
  );
  const importLines = new Set(model.imports.flatMap((i) => [i.span.line, i.span.endLine]));
  const word = new RegExp(`\\b${oldName}\\b`, 'g');
  const uses = model.lines.reduce((n, l, i) => n + (importLines.has(i) ? 0 : (l.match(word)?.length ?? 0)), 0);
  const hasNew = model.imports.some((i) => i.local === newName && i.qualified === `${module}.${newName}`);
  if (!imp || uses !== 1 || hasNew) return hasNew ? undefined : fromImportEdit(model, module, newName);
  for (let line = imp.span.line; line <= imp.span.endLine; line++) {
    const col = model.lines[line].search(word);
    if (col >= 0) return { span: { line, col, endLine: line, endCol: col + oldName.length }, newText: newName };
  }
  return fromImportEdit(model, module, newName);
}
