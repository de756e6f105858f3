/**
 * Snapshot tests, ruff-style: for every fixture folder, the whole report the engine gives for its files
 * is rendered as stable text and compared with `test/snapshots/<folder>.txt`. Where `fixtures.test.ts`
 * pins only (line, rule) and (line, class), these pin each finding's span (1-based, UTF-16 columns, as
 * `gil-lens check` prints), severity, message, summary and hover data, and every structured fix as its
 * title and a unified diff of its edits applied to the file; and each thread target's name, position,
 * classification, spawn sites and the first line of each reason. A fix whose applied edits turn a file
 * that parses into one that does not is marked in the snapshot. Files are analysed exactly as
 * `fixtures.test.ts` does: alone, with the default config, except `projects/<name>/`, analysed together.
 * An intended change is accepted with `npx vitest run test/snapshots.test.ts -u`; the diff of the
 * snapshot files is then the review of what users will see change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  defaultConfig,
  type FileReport,
  type Finding,
  type Fix,
  type ThreadTarget,
} from '../server/src/analysis/types';
import { checkSources, initSyntax, type SourceFile, type Syntax } from '../server/src/engine';
import { parse } from '../server/src/syntax/parser';
import { pyFiles } from './pyFiles';

const ROOT = path.join(__dirname, 'fixtures');
const SNAPSHOTS = path.join(__dirname, 'snapshots');

/** A snapshot file's content: the groups of files analysed together whose reports it shows. */
interface Folder {
  /** The fixture folder, relative to test/fixtures, with `/` separators. */
  name: string;
  groups: string[][];
}

const slash = (p: string): string => p.split(path.sep).join('/');

/** One snapshot per fixture folder (its direct files only); a project folder is one group. */
function folders(): Folder[] {
  const projects = path.join(ROOT, 'projects');
  const byName = new Map<string, Folder>();
  const add = (name: string, group: string[]): void => {
    const folder = byName.get(name) ?? { name, groups: [] };
    folder.groups.push(group);
    byName.set(name, folder);
  };
  for (const file of pyFiles(ROOT)) {
    if (!file.startsWith(projects + path.sep)) add(slash(path.relative(ROOT, path.dirname(file))), [file]);
  }
  for (const dir of fs.readdirSync(projects).sort()) {
    add(slash(path.relative(ROOT, path.join(projects, dir))), pyFiles(path.join(projects, dir)));
  }
  for (const folder of byName.values()) folder.groups.sort((a, b) => cmp(a[0], b[0]));
  return [...byName.values()].sort((a, b) => cmp(a.name, b.name));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Offsets of the start of each line (lines split at `\n`, as the model's spans count them). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** A line as shown in a diff: carriage returns and tabs made visible, so the snapshot stays plain text. */
function shown(line: string): string {
  return line.replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/**
 * A fix's edits applied to `text`, as unified-diff hunks without context: edits on the same or
 * adjacent lines form one hunk, whose old lines are replaced by the same lines with the edits
 * applied; lines equal at both ends of a hunk are trimmed. Returns the diff lines and the fixed text.
 */
function fixDiff(text: string, fix: Fix): { lines: string[]; fixed: string } {
  const starts = lineStarts(text);
  const offset = (line: number, col: number): number => (starts[line] ?? text.length) + col;
  const edits = fix.edits
    .map((e) => ({ ...e, from: offset(e.span.line, e.span.col), to: offset(e.span.endLine, e.span.endCol) }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].from < edits[i - 1].to) return { lines: ['    !! overlapping edits, not applied'], fixed: text };
  }
  // Hunks: runs of edits whose line ranges overlap or touch.
  const hunks: { first: number; last: number; edits: typeof edits }[] = [];
  for (const e of edits) {
    const prev = hunks[hunks.length - 1];
    if (prev && e.span.line <= prev.last + 1) {
      prev.last = Math.max(prev.last, e.span.endLine);
      prev.edits.push(e);
    } else hunks.push({ first: e.span.line, last: e.span.endLine, edits: [e] });
  }
  const out: string[] = [];
  let fixed = '';
  let done = 0;
  let shift = 0; // new line number minus old line number after the hunks so far
  for (const h of hunks) {
    const from = starts[h.first] ?? text.length;
    const to = h.last + 1 < starts.length ? starts[h.last + 1] - 1 : text.length;
    let replaced = '';
    let at = from;
    for (const e of h.edits) {
      replaced += text.slice(at, e.from) + e.newText;
      at = e.to;
    }
    replaced += text.slice(at, to);
    fixed += text.slice(done, from) + replaced;
    done = to;
    const before = text.slice(from, to).split('\n');
    const after = replaced.split('\n');
    let lead = 0;
    while (lead < before.length && lead < after.length && before[lead] === after[lead]) lead++;
    let trail = 0;
    while (
      trail < before.length - lead &&
      trail < after.length - lead &&
      before[before.length - 1 - trail] === after[after.length - 1 - trail]
    ) {
      trail++;
    }
    const removed = before.slice(lead, before.length - trail);
    const added = after.slice(lead, after.length - trail);
    const oldStart = h.first + lead + 1;
    const newStart = oldStart + shift;
    // Unified-diff convention: an empty side names the line before it.
    const range = (start: number, n: number): string => `${n === 0 ? start - 1 : start},${n}`;
    if (removed.length + added.length > 0) {
      out.push(`    @@ -${range(oldStart, removed.length)} +${range(newStart, added.length)} @@`);
      for (const l of removed) out.push(`    -${shown(l)}`);
      for (const l of added) out.push(`    +${shown(l)}`);
    }
    shift += after.length - before.length;
  }
  fixed += text.slice(done);
  if (out.length === 0) out.push('    (no change)');
  return { lines: out, fixed };
}

let syntax: Syntax;

/**
 * Whether text parses: no error node, and no block without a statement (tree-sitter's recovery accepts
 * `if a:` followed by a dedent as an empty block, which Python rejects). A file the parser refuses
 * counts as not parsing. Indentation that Python would reject but the grammar accepts is not caught.
 */
function parses(text: string): boolean {
  try {
    const tree = parse(syntax, text);
    try {
      if (tree.rootNode.hasError) return false;
      return tree.rootNode.descendantsOfType('block').every((b) => b?.namedChildren.some((c) => c?.type !== 'comment'));
    } finally {
      tree.delete();
    }
  } catch {
    return false;
  }
}

/** Absolute fixture paths in messages and data, made relative so snapshots do not depend on the checkout. */
function portable(s: string): string {
  return s
    .split(ROOT + path.sep)
    .join('')
    .split(ROOT)
    .join('<fixtures>');
}

function position(s: { line: number; col: number; endLine: number; endCol: number }): string {
  return `${s.line + 1}:${s.col + 1}-${s.endLine + 1}:${s.endCol + 1}`;
}

function indented(label: string, text: string): string[] {
  return portable(text)
    .split('\n')
    .map((l, i) => `  ${i === 0 ? label : ' '.repeat(label.length)}${l}`);
}

/** Object keys sorted at every depth, so the rendering does not follow the order a rule filled them in. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => cmp(a, b))
        .map(([k, v]) => [k, sortedKeys(v)]),
    );
  }
  return value;
}

function renderFinding(rel: string, text: string, sourceParses: boolean, f: Finding): string[] {
  const out = [`${rel}:${position(f.span)} ${f.severity} ${f.rule}`];
  // The summary is usually the message's first sentence: then the message is shown as summary + advice.
  if (f.summary !== undefined && f.message.startsWith(`${f.summary} `)) {
    out.push(...indented('summary: ', f.summary), ...indented('advice:  ', f.message.slice(f.summary.length + 1)));
  } else {
    out.push(...indented('message: ', f.message));
    if (f.summary !== undefined) out.push(...indented('summary: ', f.summary));
  }
  if (f.data && Object.keys(f.data).length > 0) out.push(`  data: ${portable(JSON.stringify(sortedKeys(f.data)))}`);
  for (const fix of f.fixes) {
    out.push(`  fix: ${fix.title}${fix.isPreferred ? ' (preferred)' : ''}`);
    const { lines, fixed } = fixDiff(text, fix);
    out.push(...lines);
    if (sourceParses && !parses(fixed)) out.push('    !! the fixed file does not parse');
  }
  return out;
}

function renderTarget(rel: string, t: ThreadTarget): string[] {
  const spawns = t.spawns.map((s) => `${s.kind} ${s.api} @${s.span.line + 1}:${s.span.col + 1}`).join(', ');
  const flags = [t.runsIn, t.concurrent ? 'concurrent' : '', t.picklable ? 'picklable' : ''].filter(Boolean);
  const out = [`target ${t.name} ${rel}:${position(t.span)} ${t.classification} (${flags.join(', ')})`];
  out.push(`  spawned by: ${spawns || '(none)'}`);
  for (const r of t.reasons) out.push(`  reason ${r.line + 1} ${r.kind}: ${portable(r.text.split('\n')[0])}`);
  return out;
}

const bySpan = (
  a: { span: { line: number; col: number; endLine: number; endCol: number } },
  b: { span: { line: number; col: number; endLine: number; endCol: number } },
): number =>
  a.span.line - b.span.line ||
  a.span.col - b.span.col ||
  a.span.endLine - b.span.endLine ||
  a.span.endCol - b.span.endCol;

/** One file's report as text: findings, then thread targets, each in position order. */
function renderReport(rel: string, text: string, report: FileReport): string {
  const out = [`=== ${rel}`];
  if (report.error !== undefined) out.push(`error: ${portable(report.error)}`);
  const sourceParses = parses(text);
  const findings = [...report.findings].sort(
    (a, b) => bySpan(a, b) || cmp(a.rule, b.rule) || cmp(a.message, b.message),
  );
  for (const f of findings) out.push(...renderFinding(rel, text, sourceParses, f));
  const targets = [...report.threadTargets].sort((a, b) => bySpan(a, b) || cmp(a.name, b.name));
  for (const t of targets) out.push(...renderTarget(rel, t));
  if (findings.length + targets.length === 0 && report.error === undefined) out.push('(nothing reported)');
  return out.join('\n');
}

function snapshotPath(folder: Folder): string {
  return path.join(SNAPSHOTS, `${folder.name}.txt`);
}

beforeAll(async () => {
  syntax = await initSyntax();
});

describe('fixture snapshots', () => {
  const all = folders();
  for (const folder of all) {
    it(folder.name, async () => {
      const parts = [
        [
          `# Snapshot of the engine's report on test/fixtures/${folder.name}/ (test/snapshots.test.ts).`,
          '# Positions are 1-based line:column, columns in UTF-16 code units. Update on an intended change:',
          '# npx vitest run test/snapshots.test.ts -u',
        ].join('\n'),
      ];
      for (const group of folder.groups) {
        const sources: SourceFile[] = group.map((p) => ({ path: p, text: fs.readFileSync(p, 'utf8') }));
        const reports = checkSources(syntax, sources, defaultConfig());
        for (const [i, report] of reports.entries()) {
          parts.push(renderReport(slash(path.relative(ROOT, group[i])), sources[i].text, report));
        }
      }
      await expect(`${parts.join('\n\n')}\n`).toMatchFileSnapshot(snapshotPath(folder));
    });
  }

  it('every snapshot file belongs to a fixture folder', () => {
    // A snapshot left behind by a removed or renamed folder would never be compared again.
    const wanted = new Set(all.map((f) => slash(path.relative(SNAPSHOTS, snapshotPath(f)))));
    const present = fs.existsSync(SNAPSHOTS)
      ? fs
          .readdirSync(SNAPSHOTS, { recursive: true, encoding: 'utf8' })
          .map(slash)
          .filter((f) => f.endsWith('.txt'))
      : [];
    expect(present.filter((f) => !wanted.has(f)).sort()).toEqual([]);
  });
});

describe('the snapshot renderer', () => {
  const span = (line: number, col: number, endLine: number, endCol: number) => ({ line, col, endLine, endCol });
  const text = 'import os\n\ndef f():\n    n += 1\n    return n\n';

  it('renders edits on nearby lines as one hunk, and distant edits as separate hunks', () => {
    const fix: Fix = {
      title: 'wrap',
      edits: [
        { span: span(3, 0, 3, 0), newText: '    with lock:\n    ' },
        { span: span(0, 9, 0, 9), newText: '\nimport threading' },
        { span: span(3, 4, 3, 10), newText: 'n += 2' },
      ],
    };
    expect(fixDiff(text, fix)).toEqual({
      lines: [
        '    @@ -1,0 +2,1 @@',
        '    +import threading',
        '    @@ -4,1 +5,2 @@',
        '    -    n += 1',
        '    +    with lock:',
        '    +        n += 2',
      ],
      fixed: 'import os\nimport threading\n\ndef f():\n    with lock:\n        n += 2\n    return n\n',
    });
  });

  it('shows deletions, no-op fixes and overlapping edits', () => {
    expect(fixDiff(text, { title: 'drop', edits: [{ span: span(4, 0, 5, 0), newText: '' }] }).lines).toEqual([
      '    @@ -5,1 +4,0 @@',
      '    -    return n',
    ]);
    expect(fixDiff(text, { title: 'same', edits: [{ span: span(0, 0, 0, 6), newText: 'import' }] }).lines).toEqual([
      '    (no change)',
    ]);
    const overlapping: Fix = {
      title: 'bad',
      edits: [
        { span: span(0, 0, 0, 5), newText: 'x' },
        { span: span(0, 3, 0, 8), newText: 'y' },
      ],
    };
    expect(fixDiff(text, overlapping).lines).toEqual(['    !! overlapping edits, not applied']);
  });

  it('counts an empty block as not parsing, as Python does', () => {
    expect(parses('if a:\n    x = 1\n')).toBe(true);
    expect(parses('if a:\nif b:\n    x = 1\n')).toBe(false);
    expect(parses('if a:\n    # only a comment\n')).toBe(false);
    expect(parses('x = (\n')).toBe(false);
  });
});
