/**
 * Race confirmation through the language server, as an editor runs it, with
 * a real python3: the built server (`node dist/server.js --stdio`) offers
 * "Confirm this race" as a code action on the `shared-mutation` diagnostic
 * of global_counter.py, runs `workspace/executeCommand`
 * `gil-lens.server.confirm` with work-done progress, answers with the
 * confirmed verdict and its interleaving, and republishes the diagnostic
 * with "confirmed by a run" in its related information until the document
 * changes. The locked twin is not observed and offers no action. Cancelling
 * the request kills the script's process group; an untrusted workspace gets
 * neither the action nor the run; a client that registered the VS Code
 * command gets the hover link and the CodeLens. Needs `npm run build`.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancellationTokenSource,
  type CodeAction,
  CodeActionRequest,
  CodeLensRequest,
  type Diagnostic,
  ExecuteCommandRequest,
  HoverRequest,
  type MarkupContent,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import type { ConfirmResult } from '../../server/src/confirm/types';
import { COMMANDS, CONFIRM_COMMAND } from '../../server/src/protocol';
import { fileUri, rangeOf, SERVER, startServer, type TestServer } from '../lsp/lspClient';
import { fixture, groupAlive, PYTHON } from './helpers';

type Progress = { kind?: string; title?: string; message?: string };

const COUNTER = fixture('confirm/global_counter.py');
const LOCKED = fixture('confirm/global_counter_locked.py');
const SPINS = fixture('confirm/spins.py');
const WORDS = fixture('confirm/word_counts.py');
const WORDS_LOCKED = fixture('confirm/word_counts_locked.py');
const REGISTRY = fixture('confirm/lazy_registry.py');
const REGISTRY_LOCKED = fixture('confirm/lazy_registry_locked.py');
const SETTINGS = { 'gil-lens': { pythonPath: PYTHON, benchmark: { timeoutSeconds: 60 } } };

let server: TestServer | undefined;
let wired = false;
let tokens = 0;

beforeAll(async () => {
  if (!fs.existsSync(SERVER)) return;
  server = await startServer({
    initializationOptions: { trusted: true, settings: SETTINGS },
    capabilities: { window: { workDoneProgress: true } },
  });
  wired = server.initializeResult.capabilities.executeCommandProvider?.commands.includes(CONFIRM_COMMAND) ?? false;
});

afterAll(async () => {
  await server?.stop();
});

const NOT_WIRED = `the server does not list ${CONFIRM_COMMAND} in executeCommandProvider (server.ts wiring missing, or dist/ not built)`;

/** Opens a fixture as the editor would and waits for its first diagnostics. */
async function open(
  s: TestServer,
  file: string,
): Promise<{ uri: string; text: string; first: PublishDiagnosticsParams }> {
  const uri = fileUri(file);
  const text = fs.readFileSync(file, 'utf8');
  s.open(uri, text);
  return { uri, text, first: await s.diagnostics(uri) };
}

function racy(p: PublishDiagnosticsParams): Diagnostic[] {
  return p.diagnostics.filter((d) => d.code === 'shared-mutation');
}

async function actionsAt(s: TestServer, uri: string, text: string, needle: string): Promise<CodeAction[]> {
  const range = rangeOf(text, needle);
  return (await s.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range,
    context: { diagnostics: [] },
  })) as CodeAction[];
}

/** Runs the server command with a fresh work-done token; returns the result and the progress seen. */
async function confirm(
  argument: Record<string, unknown>,
  cancel?: (p: Progress, source: CancellationTokenSource) => void,
) {
  const token = `confirm-${++tokens}`;
  const progress: Progress[] = [];
  const source = new CancellationTokenSource();
  const listener = server!.onProgress(token, (value) => {
    progress.push(value as Progress);
    cancel?.(value as Progress, source);
  });
  try {
    const result = (await server!.connection.sendRequest(
      ExecuteCommandRequest.type,
      { command: CONFIRM_COMMAND, arguments: [argument], workDoneToken: token },
      source.token,
    )) as ConfirmResult;
    return { result, progress };
  } finally {
    listener.dispose();
  }
}

describe('gil-lens.server.confirm over LSP', () => {
  it('confirms global_counter.py from its code action and marks the diagnostic until the file changes', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const s = server!;
    const { uri, text, first } = await open(s, COUNTER);
    expect(racy(first).map((d) => d.range.start.line)).toEqual([9]);
    const action = (await actionsAt(s, uri, text, 'hits += 1')).find((a) => a.title === 'Confirm this race');
    expect(action?.command?.command).toBe(CONFIRM_COMMAND);
    expect(action?.command?.arguments).toEqual([{ uri, line: 9 }]);
    expect(action?.diagnostics?.[0]?.code).toBe('shared-mutation');

    const { result, progress } = await confirm(action?.command?.arguments?.[0] as Record<string, unknown>);
    expect(result.verdict, result.summary).toBe('confirmed');
    expect(result.statement?.line).toBe(10);
    expect(result.entry?.call).toBe('main()');
    const lost = result.evidence.find((e) => e.kind === 'lost-update');
    const steps = lost?.example.steps ?? [];
    expect(steps).toHaveLength(3);
    expect(steps[0].thread).toBe(steps[2].thread);
    expect(steps[1].thread).not.toBe(steps[0].thread);
    expect(steps[2].based_on).toBe(steps[0].version);
    expect(progress[0]?.kind).toBe('begin');
    expect(progress.some((p) => p.kind === 'report' && /run 1 of/.test(p.message ?? ''))).toBe(true);
    expect(progress.at(-1)?.kind).toBe('end');

    const marked = await s.diagnostics(uri, (p) => racy(p).some((d) => d.relatedInformation?.length));
    const related = racy(marked)[0].relatedInformation ?? [];
    expect(related[0].message).toMatch(/^confirmed by a run: Confirmed: lost update seen [\d,]+ times?\.$/);
    expect(related[0].location.uri).toBe(uri);
    expect(related[0].location.range.start.line).toBe(9);

    // Any edit drops the mark: the run tried the old text, not this one.
    const end = { line: text.split('\n').length - 1, character: 0 };
    s.change(uri, 2, { start: end, end }, '# edited\n');
    const after = await s.diagnostics(uri, (p) => p.version === 2);
    expect(racy(after)).toHaveLength(1);
    expect(racy(after)[0].relatedInformation).toBeUndefined();
  });

  it('does not observe the locked twin, which has no finding and no action', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const s = server!;
    const { uri, text, first } = await open(s, LOCKED);
    expect(racy(first)).toEqual([]);
    const actions = await actionsAt(s, uri, text, 'hits += 1');
    expect(actions.map((a) => a.title)).not.toContain('Confirm this race');
    // A line without a finding may still be run, to see that the guarded code shows nothing.
    const line = rangeOf(text, 'hits += 1').start.line;
    const { result } = await confirm({ uri, line });
    expect(result.verdict, JSON.stringify(result.evidence)).toBe('not-observed');
    expect(result.evidence).toEqual([]);
    expect(result.passes[0].executions).toBeGreaterThan(0);
    expect(result.summary).not.toMatch(/safe/i);
  });

  it('confirms a dict read-modify-write in an executor, and not its locked twin', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const racyRun = await confirm({ uri: fileUri(WORDS), line: 10 });
    expect(racyRun.result.verdict, racyRun.result.summary).toBe('confirmed');
    expect(racyRun.result.evidence[0]?.kind).toBe('lost-update');
    expect(racyRun.result.statement?.target).toBe('counts[word]');
    const twin = await confirm({ uri: fileUri(WORDS_LOCKED), line: 13 });
    expect(twin.result.verdict, JSON.stringify(twin.result.evidence)).toBe('not-observed');
  });

  it('confirms a lazily created singleton driven with a call, and not its locked twin', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const call = "register('x', None)";
    const racyRun = await confirm({ uri: fileUri(REGISTRY), line: 17, call, threads: 8 });
    expect(racyRun.result.verdict, racyRun.result.summary).toBe('confirmed');
    expect(racyRun.result.evidence[0]?.kind).toBe('stale-check');
    expect(racyRun.result.threads).toBe(8);
    const twin = await confirm({ uri: fileUri(REGISTRY_LOCKED), line: 21, call, threads: 8 });
    expect(twin.result.verdict, JSON.stringify(twin.result.evidence)).toBe('not-observed');
  });

  it('cancellation kills the confirmation script and its process group', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const uri = fileUri(SPINS);
    const line = rangeOf(fs.readFileSync(SPINS, 'utf8'), 'ticks += 1').start.line;
    let pgid = 0;
    const started = Date.now();
    const pending = confirm({ uri, line }, (p, source) => {
      if (p.kind === 'report' && /run 1 of/.test(p.message ?? '') && !pgid) {
        pgid = scriptChildOf(server!.child.pid ?? 0);
        setTimeout(() => source.cancel(), 300);
      }
    });
    // Either a cancelled result or a RequestCancelled error is a correct answer.
    const outcome = await pending.then(
      ({ result }) => `${result.error?.kind}: ${result.summary}`,
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/cancel/i);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(pgid).toBeGreaterThan(0);
    await waitUntil(() => !groupAlive(pgid), 5000);
    expect(groupAlive(pgid)).toBe(false);
  });

  it('rejects bad arguments', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    await expect(confirm({ uri: 'untitled:Untitled-1', line: 1 })).rejects.toThrow(/file: URI/);
    await expect(confirm({ uri: fileUri(COUNTER), line: -1 })).rejects.toThrow(/0-based line/);
  });
});

describe('confirmation needs trust, and the VS Code client gets links', () => {
  it('an untrusted workspace gets no action and no run', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const untrusted = await startServer({ initializationOptions: { trusted: false, settings: SETTINGS } });
    try {
      const { uri, text } = await open(untrusted, COUNTER);
      const actions = await actionsAt(untrusted, uri, text, 'hits += 1');
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.map((a) => a.title)).not.toContain('Confirm this race');
      const run = untrusted.connection.sendRequest(ExecuteCommandRequest.type, {
        command: CONFIRM_COMMAND,
        arguments: [{ uri, line: 9 }],
      });
      await expect(run).rejects.toThrow(/trust this workspace/);
    } finally {
      await untrusted.stop();
    }
  });

  it('a client with gil-lens.confirmRace gets a hover link and a CodeLens that call it', async (ctx) => {
    if (!wired) ctx.skip(NOT_WIRED);
    const vscodeLike = await startServer({
      initializationOptions: { trusted: true, confirmRace: true, benchmarkLens: true, settings: SETTINGS },
    });
    try {
      const { uri, text } = await open(vscodeLike, COUNTER);
      const hover = await vscodeLike.connection.sendRequest(HoverRequest.type, {
        textDocument: { uri },
        position: rangeOf(text, 'hits += 1').start,
      });
      const value = (hover?.contents as MarkupContent | undefined)?.value ?? '';
      const args = encodeURIComponent(JSON.stringify([uri, 9]));
      expect(value).toContain(`[Confirm this race](command:${COMMANDS.confirmRace}?${args}`);
      const lenses = await vscodeLike.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
      const lens = lenses?.find((l) => l.command?.title === 'Confirm this race');
      expect(lens?.command?.command).toBe(COMMANDS.confirmRace);
      expect(lens?.command?.arguments).toEqual([uri, 9]);
      expect(lens?.range.start.line).toBe(9);
      const action = (await actionsAt(vscodeLike, uri, text, 'hits += 1')).find((a) => a.title === 'Confirm this race');
      expect(action?.command?.command).toBe(COMMANDS.confirmRace);
    } finally {
      await vscodeLike.stop();
    }
  });
});

/** The pid of the server's confirmation child, read from /proc (the script leads its own group). */
function scriptChildOf(parent: number): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === parent && cmdline.includes('gil_lens_confirm.py')) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return 0;
}

async function waitUntil(done: () => boolean, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (!done() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}
