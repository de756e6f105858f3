/**
 * The verdict and the words around it. Evidence of any kind makes
 * `confirmed`; without evidence the verdict is `not-observed` together with
 * how many read-write windows were forced open and how many another thread
 * entered, because runs that show nothing do not show that nothing can
 * happen. No sentence here calls code safe.
 */
import type { ConfirmResult, Evidence, EvidenceKind } from './types';

const KIND_ORDER: readonly EvidenceKind[] = ['lost-update', 'stale-check', 'exception'];

export const KIND_TITLES: Record<EvidenceKind, string> = {
  'lost-update': 'lost update',
  'stale-check': 'stale check',
  exception: 'exception',
};

/** Sets the verdict and the one-sentence summary of a result whose runs all succeeded. */
export function summarise(result: ConfirmResult): ConfirmResult {
  result.evidence.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || b.count - a.count);
  if (result.evidence.length > 0) {
    result.verdict = 'confirmed';
    result.summary = `Confirmed: ${result.evidence.map(describeEvidence).join('; ')}.`;
  } else {
    result.verdict = 'not-observed';
    result.summary = notObserved(result);
  }
  return result;
}

function describeEvidence(e: Evidence): string {
  const times = e.count === 1 ? 'once' : `${e.count.toLocaleString('en-US')} times`;
  const where = e.pass === 'free-threaded' ? ' on the free-threaded interpreter without a forced switch' : '';
  const what =
    e.kind === 'exception' && e.example.exception ? `${e.example.exception} at line ${e.line}` : KIND_TITLES[e.kind];
  return `${what} seen ${times}${where}`;
}

function notObserved(result: ConfirmResult): string {
  const tried = result.passes.map((p) => {
    const runs = `${p.runs} run${p.runs === 1 ? '' : 's'}`;
    const windows = `${p.executions.toLocaleString('en-US')} read-write window${p.executions === 1 ? '' : 's'}`;
    const how = p.forced_switch
      ? 'with a forced thread switch in each'
      : 'without a forced switch, on the free-threaded interpreter';
    return `${runs}, ${windows} ${how}, ${p.contended.toLocaleString('en-US')} of them entered by another thread`;
  });
  return `Not observed: ${tried.join('; ')}. Runs that show no race do not prove that none can happen.`;
}

/** The text report: the statement, what ran, the verdict and one interleaving per piece of evidence. */
export function formatConfirmText(result: ConfirmResult, shownFile: string): string {
  const lines: string[] = [];
  const st = result.statement;
  lines.push(st ? `${shownFile}:${st.line}: \`${st.text}\` (${st.location} \`${st.target}\`)` : shownFile);
  if (st?.finding) lines.push(`finding: ${st.finding.rule}`);
  if (st?.guard_line) lines.push(`checked by the \`if\` on line ${st.guard_line}`);
  if (result.entry) lines.push(`ran: ${result.entry.call}, which ${result.entry.why}`);
  else if (result.runs > 0) lines.push(`ran: the call on ${result.threads} threads at once, released by a barrier`);
  if (result.python) lines.push(`python: ${result.python.executable} ${result.python.version}`);
  if (result.free_threaded_python) {
    const ft = result.free_threaded_python;
    lines.push(`free-threaded python: ${ft.executable} ${ft.version} (GIL ${ft.gil_enabled ? 'enabled' : 'disabled'})`);
  }
  lines.push('', `verdict: ${result.verdict}`, result.summary);
  for (const e of result.evidence) {
    const where = e.pass === 'free-threaded' ? ' (free-threaded, no forced switch)' : '';
    lines.push('', `${KIND_TITLES[e.kind]} at line ${e.line}${where}: ${e.count.toLocaleString('en-US')}×`);
    lines.push(...exampleLines(e));
  }
  for (const note of result.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

function exampleLines(e: Evidence): string[] {
  const steps = e.example.steps;
  if (!steps || steps.length === 0) return [`  ${e.example.text}`];
  const where = e.example.location ? `${e.example.location} ` : '';
  const width = Math.max(...steps.map((s) => s.thread.length));
  return steps.map((s) => {
    const based = s.based_on === undefined ? '' : `, based on version ${s.based_on}`;
    const did =
      s.action === 'write'
        ? `wrote ${where}as version ${s.version}${based}`
        : `${s.action} ${where}at version ${s.version}`;
    return `  ${s.thread.padEnd(width)}  ${did} (line ${s.line})`;
  });
}
