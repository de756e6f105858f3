/**
 * Hovers: short markdown about the thing under the cursor, built from the
 * file's report alone (no re-analysis, no text scanning).
 *
 * - On a spawn or submit call, or on a thread target's `def`: the
 *   classification, its reasons with line links, what the GIL does to this
 *   code, and the advice.
 * - On a flagged shared mutation: the state, the threads reaching it, why it
 *   is considered shared, and the fix; the caller may add a command link
 *   (server.ts adds "Confirm this race" where it can run).
 * - On a lock (its creation or any `with`/`acquire` site): what it guards.
 *
 * When several apply (a mutation inside a spawn call), the narrowest span
 * under the cursor wins, since that is what the user is pointing at.
 */
import { type Hover, MarkupKind, type Position } from 'vscode-languageserver/node';
import type { FileReport, Finding, LockInfo, Span, Spawn, ThreadTarget } from '../analysis/types';
import { advice, gilEffect, LABEL } from './gilText';
import { displayLine, lineLink, spanContains, toRange } from './positions';

const MAX_REASONS = 5;

interface Candidate {
  span: Span;
  render: () => string;
}

/** Roughly how much text a span covers, to prefer the innermost one. */
function extent(span: Span): number {
  return (span.endLine - span.line) * 10_000 + (span.endCol - span.col);
}

function link(uri: string, line: number): string {
  return `[line ${displayLine(line)}](${lineLink(uri, line)})`;
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function targetHover(target: ThreadTarget, uri: string, spawn?: Spawn): string {
  const where = target.runsIn === 'process' ? 'process target' : 'thread target';
  const parts = [`**${LABEL[target.classification]}** · ${where} ${code(target.name)}`];
  const reasons = target.reasons.slice(0, MAX_REASONS).map((r) => `- ${r.text} (${link(uri, r.line)})`);
  if (reasons.length > 0) parts.push(reasons.join('\n'));
  parts.push(gilEffect(target));
  const tip = advice(target);
  if (tip) parts.push(tip);
  if (spawn) parts.push(`Defined at ${link(uri, target.span.line)}.`);
  else if (target.spawns.length > 0) {
    const first = target.spawns[0];
    parts.push(`Started by ${code(first.api)} at ${link(uri, first.span.line)}.`);
  }
  return parts.join('\n\n');
}

function mutationHover(finding: Finding, uri: string, extra?: string): string {
  const data = finding.data ?? {};
  const state = data.state ?? 'this state';
  const parts = [`**Shared mutation** of ${code(state)}`];
  if (data.threads && data.threads.length > 0) {
    parts.push(`Reached from threads running ${data.threads.map(code).join(', ')}.`);
  }
  if (data.sharedBecause) parts.push(`Shared because ${data.sharedBecause}.`);
  parts.push('The GIL does not make a read-modify-write atomic: threads can switch between the read and the write.');
  const preferred = finding.fixes.find((f) => f.isPreferred) ?? finding.fixes[0];
  if (data.lock) parts.push(`Fix: hold ${code(data.lock)}, which guards this state elsewhere.`);
  else if (preferred) parts.push(`Fix: ${preferred.title} (quick fix).`);
  else parts.push('Fix: guard every write with one `threading.Lock`.');
  if (data.targetLine !== undefined) parts.push(`Thread target at ${link(uri, data.targetLine)}.`);
  if (extra) parts.push(extra);
  return parts.join('\n\n');
}

function lockHover(lock: LockInfo, uri: string): string {
  const parts = [`**${lock.kind}** ${code(lock.name)}`];
  parts.push(
    lock.guards.length > 0
      ? `Guards ${lock.guards.map(code).join(', ')}.`
      : 'No writes to shared state were found while it is held.',
  );
  const lines = [...new Set(lock.uses.map((u) => u.line))].slice(0, MAX_REASONS);
  if (lines.length > 0) parts.push(`Held at ${lines.map((l) => link(uri, l)).join(', ')}.`);
  return parts.join('\n\n');
}

/** What the caller adds to hovers: a command link under a flagged mutation ("Confirm this race"). */
export interface HoverExtras {
  mutationLink?: (finding: Finding) => string | undefined;
}

function candidates(report: FileReport, uri: string, extras: HoverExtras): Candidate[] {
  const out: Candidate[] = [];
  for (const target of report.threadTargets) {
    out.push({ span: target.span, render: () => targetHover(target, uri) });
    for (const spawn of target.spawns) out.push({ span: spawn.span, render: () => targetHover(target, uri, spawn) });
  }
  for (const finding of report.findings) {
    if (finding.rule === 'shared-mutation')
      out.push({ span: finding.span, render: () => mutationHover(finding, uri, extras.mutationLink?.(finding)) });
  }
  for (const lock of report.locks) {
    for (const span of [lock.span, ...lock.uses]) out.push({ span, render: () => lockHover(lock, uri) });
  }
  return out;
}

export function hoverAt(report: FileReport, uri: string, position: Position, extras: HoverExtras = {}): Hover | null {
  let best: Candidate | undefined;
  for (const candidate of candidates(report, uri, extras)) {
    if (!spanContains(candidate.span, position)) continue;
    if (!best || extent(candidate.span) < extent(best.span)) best = candidate;
  }
  if (!best) return null;
  return { contents: { kind: MarkupKind.Markdown, value: best.render() }, range: toRange(best.span) };
}
