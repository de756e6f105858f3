/**
 * `npm run fuzz -- --edits N --seed S`: random edits to one open document,
 * broken syntax included, through a real LSP client (../lspSession.ts). At every
 * checkpoint and at the end, the diagnostics the server published for the
 * current version must name the same rules on the same lines as a fresh
 * `gil-lens check` of the same text. The editor keeps a broken top-level
 * statement's errors to itself (model/incremental.ts spliceStatement), where a
 * fresh parse lets error recovery swallow the code after it, so the two are
 * meant to differ on broken text: a checkpoint that finds the text broken first
 * sends one more edit that puts back the starting document, and compares on
 * that, with the state of every edit before it. The server must answer every edit,
 * hover and code action, log no failure and stay alive. The server's resident
 * memory is sampled as it goes and printed as a series, because memory that
 * creeps under editing (issue 13 defect 12) shows only over thousands of
 * edits; `--max-rss-growth P` fails the run when RSS grows more than P% from
 * the first sample after warm-up to the last.
 *
 * The document starts as the 3,000-line file bench:lsp edits, and its length
 * is kept within a fifth of that: edits lean towards deleting when it has
 * grown and towards inserting when it has shrunk, so memory figures late in
 * the run describe the same amount of text as early ones.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CodeActionRequest, HoverRequest, type Range } from 'vscode-languageserver-protocol/node';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { initSyntax, parse } from '../../server/src/syntax/parser';
import { generateBigFile } from '../bigFile';
import { type LspSession, rssMb, startLspSession } from '../lspSession';
import { loadSeedFiles } from './inputs';
import { LINES, TOKENS } from './mutate';
import { mulberry32, type Random } from './random';
import { writeRepro } from './repro';

export interface EditOptions {
  edits: number;
  seed: number;
  root: string;
  outDir: string;
  corpusDir?: string;
  /** Sample RSS every this many edits. */
  rssEvery: number;
  /** Compare with a fresh check every this many edits. */
  checkEvery: number;
  /** Fail when RSS grows more than this many percent after warm-up; undefined: only print. */
  maxRssGrowth?: number;
  /** Lines of the starting document. */
  lines: number;
}

/** Edits before memory is first compared: the JIT, the caches and the heap settle in the first few hundred. */
const WARMUP_EDITS = 1_000;
/** An edit whose diagnostics take longer than this is a failure (a hang of the server). */
const ANSWER_TIMEOUT_MS = 30_000;

/** Characters a typist types, line breaks of every kind included; NUL stays out (`check` skips such files as binary). */
const TYPED = 'abcxyz_ ():=.,"\'#\n\n\n\r\n\r\t{}[]+-*\\@';
const EDIT_TOKENS = TOKENS.filter((t) => t !== '\0');

export async function fuzzEdits(options: EditOptions): Promise<number> {
  const started = performance.now();
  const random = mulberry32(options.seed);
  const pool = loadSeedFiles(options.root, options.corpusDir).files.map((f) => f.text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-fuzz-edits-'));
  const file = path.join(dir, 'edited.py');
  const initial = generateBigFile(options.lines);
  fs.writeFileSync(file, initial);
  const uri = pathToFileURL(file).href;
  const server = await startLspSession(path.join(options.root, 'dist/server.js'), dir);
  let doc = TextDocument.create(uri, 'python', 1, initial);
  const failures: { problem: string; edit: number; written: string }[] = [];
  const history: TextDocumentContentChangeEvent[] = [];
  const series: { edits: number; mb: number }[] = [];
  const sample = (edits: number) => {
    const mb = rssMb(server.pid);
    if (mb !== undefined) series.push({ edits, mb });
    return mb;
  };
  // Each failure is written at once, with every edit so far, so a run stopped later still leaves it.
  const fail = (edit: number, problem: string) => {
    const written = writeRepro(options.outDir, {
      kind: 'lsp',
      signature: problem,
      id: `seed${options.seed}-edit${edit}`,
      detail: `${problem}\n\nedits.json holds the ${history.length} edits from original.py to repro.py, in order.`,
      original: Buffer.from(initial),
      repro: Buffer.from(doc.getText()),
      rerun: `npm run fuzz -- --edits ${options.edits} --seed ${options.seed}`,
      count: 1,
    });
    fs.writeFileSync(path.join(written, 'edits.json'), JSON.stringify(history));
    failures.push({ problem, edit, written });
  };
  console.log(
    `fuzz: ${options.edits} edits to a ${initial.split('\n').length}-line document through the language server, seed ${options.seed}`,
  );
  let checks = 0;
  let restored = 0;
  let version = 1;
  const syntax = await initSyntax();
  const broken = (text: string) => {
    const tree = parse(syntax, text);
    try {
      return tree.rootNode.hasError;
    } finally {
      tree.delete();
    }
  };
  try {
    server.open(uri, initial);
    if (!(await server.diagnostics(uri, 1, ANSWER_TIMEOUT_MS))) fail(0, 'no diagnostics after didOpen');
    sample(0);
    const target = initial.length;
    let reported = 0;
    for (let edit = 1; edit <= options.edits; edit++) {
      const checkpoint = edit % options.checkEvery === 0 || edit === options.edits;
      let change = randomChange(random, doc, pool, target);
      history.push(change);
      doc = TextDocument.update(doc, [change], ++version);
      server.change(uri, version, change);
      if (checkpoint && broken(doc.getText())) {
        // Compare on text both sides read alike: the starting document, sent as one more edit.
        await server.diagnostics(uri, version, ANSWER_TIMEOUT_MS);
        change = { range: { start: doc.positionAt(0), end: doc.positionAt(doc.getText().length) }, text: initial };
        history.push(change);
        doc = TextDocument.update(doc, [change], ++version);
        server.change(uri, version, change);
        restored++;
      }
      // Most edits wait for their diagnostics, as typing does; some come in bursts that the server may merge.
      if (checkpoint || random.chance(0.8)) {
        const published = await server.diagnostics(uri, version, ANSWER_TIMEOUT_MS);
        if (!published) {
          // The server is stuck or gone: nothing after this would mean anything.
          fail(edit, server.exited() ?? `no diagnostics for version ${version} within ${ANSWER_TIMEOUT_MS / 1000} s`);
          break;
        }
        if (checkpoint) {
          checks++;
          const problem = await compareWithCheck(options.root, dir, doc.getText(), published.diagnostics);
          if (problem) fail(edit, problem);
        }
      }
      if (random.chance(0.02)) {
        const problem = await poke(random, server.connection, doc);
        if (problem) fail(edit, problem);
      }
      for (; reported < server.logs.length; reported++) {
        const line = server.logs[reported];
        if (/failed|uncaught|unhandled/i.test(line)) fail(edit, `the server logged: ${line.trim().slice(0, 500)}`);
      }
      if (edit % options.rssEvery === 0) {
        const mb = sample(edit);
        const secs = ((performance.now() - started) / 1000).toFixed(0);
        console.log(
          `fuzz: ${edit} edits, server RSS ${mb?.toFixed(0) ?? '?'} MB, ${failures.length} failures, ${secs} s`,
        );
      }
    }
  } finally {
    await server.stop();
  }

  console.log(`fuzz: server RSS: ${series.map((s) => `${s.mb.toFixed(0)} MB @${s.edits}`).join(', ')}`);
  const growth = rssGrowth(series);
  if (growth) {
    const line = `RSS ${growth.from.mb.toFixed(1)} MB after ${growth.from.edits} edits → ${growth.to.mb.toFixed(1)} MB after ${growth.to.edits}: ${growth.percent >= 0 ? '+' : ''}${growth.percent.toFixed(1)}%`;
    const limit = options.maxRssGrowth;
    if (limit !== undefined && growth.percent > limit) fail(options.edits, `${line}, over the ${limit}% allowed`);
    else console.log(`fuzz: ${line}${limit !== undefined ? ` (at most ${limit}% allowed)` : ''}`);
  }
  for (const failure of failures) {
    console.log(`\nfuzz: lsp: after ${failure.edit} edits: ${failure.problem}`);
    console.log(
      `  the text then (repro.py), the start and the edits in ${path.relative(process.cwd(), failure.written)}`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const secs = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `fuzz: ${options.edits} edits, seed ${options.seed}, ${checks} checkpoints (${restored} on the restored start, the text being broken), ${failures.length} failures, ${secs} s`,
  );
  return failures.length > 0 ? 1 : 0;
}

/** RSS from the first sample at or after warm-up to the last one. */
export function rssGrowth(series: { edits: number; mb: number }[]) {
  const from = series.find((s) => s.edits >= WARMUP_EDITS);
  const to = series[series.length - 1];
  if (!from || !to || to === from) return undefined;
  return { from, to, percent: ((to.mb - from.mb) / from.mb) * 100 };
}

/** An offset where an editor's cursor can be: not inside a surrogate pair or a CRLF. */
function cursor(random: Random, text: string): number {
  let at = random.int(text.length + 1);
  const code = text.charCodeAt(at);
  if (code >= 0xdc00 && code <= 0xdfff) at--;
  if (text.charCodeAt(at) === 10 && text.charCodeAt(at - 1) === 13) at--;
  return at;
}

/** The end of a selection of about `length` characters from `start`, which splits no surrogate pair or CRLF. */
function endAfter(text: string, start: number, length: number): number {
  let end = Math.min(text.length, start + length);
  const code = text.charCodeAt(end);
  if (code >= 0xdc00 && code <= 0xdfff) end++;
  if (code === 10 && text.charCodeAt(end - 1) === 13) end++;
  return end;
}

/** One random edit; its size drifts back towards `target` characters. */
export function randomChange(
  random: Random,
  doc: TextDocument,
  pool: readonly string[],
  target: number,
): TextDocumentContentChangeEvent {
  const text = doc.getText();
  const start = cursor(random, text);
  const range = (from: number, to: number): Range => ({ start: doc.positionAt(from), end: doc.positionAt(to) });
  const grown = text.length > target * 1.2;
  const shrunk = text.length < target * 0.8;
  const kind = grown ? random.int(3) + 6 : shrunk ? random.int(6) : random.int(9);
  switch (kind) {
    case 0:
    case 1: {
      const typed = TYPED[random.int(TYPED.length)];
      return { range: range(start, start), text: typed };
    }
    case 2:
      return { range: range(start, start), text: random.pick(EDIT_TOKENS) };
    case 3: {
      const line = random.chance(0.5) ? random.pick(LINES) : random.pick(random.pick(pool).split('\n'));
      const at = doc.offsetAt({ line: doc.positionAt(start).line, character: 0 });
      return { range: range(at, at), text: `${line}\n` };
    }
    case 4: {
      // A pasted block of a few lines from another file.
      const lines = random.pick(pool).split('\n');
      const from = random.int(lines.length);
      const block = lines.slice(from, from + 2 + random.int(10)).join('\n');
      return { range: range(start, start), text: block };
    }
    case 5:
      return { range: range(start, start), text: random.pick(['\n', '\r\n', '\r', '\n    ', ':\n        ']) };
    case 6:
      return { range: range(start, endAfter(text, start, 1 + random.int(4))), text: '' };
    case 7: {
      // Delete a whole line or a few.
      const line = doc.positionAt(start).line;
      const end = Math.min(doc.lineCount, line + 1 + random.int(3));
      const to = end < doc.lineCount ? { line: end, character: 0 } : doc.positionAt(text.length);
      return { range: { start: { line, character: 0 }, end: to }, text: '' };
    }
    default: {
      return {
        range: range(start, endAfter(text, start, 1 + random.int(60))),
        text: random.chance(0.3) ? random.pick(TOKENS.slice(0, 30)) : '',
      };
    }
  }
}

/** A hover and a code action at a random place: each must answer without an error. */
async function poke(
  random: Random,
  connection: LspSession['connection'],
  doc: TextDocument,
): Promise<string | undefined> {
  const position = doc.positionAt(cursor(random, doc.getText()));
  try {
    await connection.sendRequest(HoverRequest.type, { textDocument: { uri: doc.uri }, position });
    await connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: doc.uri },
      range: { start: position, end: position },
      context: { diagnostics: [] },
    });
    return undefined;
  } catch (error) {
    return `a hover or code action failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `rule@line` for each finding, sorted, so two reports compare as multisets. */
const keys = (items: { rule: string; line: number }[]) => items.map((i) => `${i.rule}@${i.line}`).sort();

/**
 * A fresh `gil-lens check` of the document's text, written under the same
 * name in a folder of its own, against what the server published.
 */
async function compareWithCheck(
  root: string,
  dir: string,
  text: string,
  published: { code?: number | string; range: Range }[],
): Promise<string | undefined> {
  const checkDir = path.join(dir, 'check');
  fs.mkdirSync(checkDir, { recursive: true });
  fs.writeFileSync(path.join(checkDir, 'edited.py'), text);
  const child = spawn(process.execPath, [path.join(root, 'bin/gil-lens.js'), 'check', '--format', 'json', checkDir], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 && code !== 1) return `the fresh check exited with ${code}`;
  const report = JSON.parse(Buffer.concat(out).toString('utf8')) as {
    files: { findings: { rule: string; line: number }[] }[];
  };
  const fresh = keys(report.files[0]?.findings ?? []);
  const served = keys(published.map((d) => ({ rule: String(d.code), line: d.range.start.line + 1 })));
  if (fresh.join() === served.join()) return undefined;
  const missing = fresh.filter((k) => !served.includes(k));
  const extra = served.filter((k) => !fresh.includes(k));
  return `diagnostics differ from a fresh check: missing ${missing.join(' ') || '-'}, extra ${extra.join(' ') || '-'}`;
}
