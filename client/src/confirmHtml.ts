/**
 * A race confirmation's result as a self-contained HTML page for the
 * webview, the benchmark panel's sibling: the verdict and its one-sentence
 * summary, the statement and what ran, each piece of evidence with its
 * example interleaving drawn as a small timeline of the two threads (inline
 * SVG, one lane per thread, a dot per read, check or write with its version
 * and line), the interpreters' passes, notes and tracebacks. No scripts and
 * no remote content: the CSP allows only the page's own nonce-tagged style.
 * Every value is HTML-escaped, since thread names, statement text, messages
 * and tracebacks come from the user's code. Pure, so it is unit-tested
 * without VS Code.
 */
import type { ConfirmResult, Evidence, InterleavingStep } from '../../server/src/confirm/types';
import { escapeHtml } from './benchmarkHtml';

/** The server's ConfirmResult JSON, as the panel reads it. */
export type ConfirmView = ConfirmResult;

const KIND_TITLES: Record<string, string> = {
  'lost-update': 'Lost update',
  'stale-check': 'Stale check',
  exception: 'Exception',
};

const VERDICT_TITLES: Record<string, string> = {
  confirmed: 'Confirmed',
  'not-observed': 'Not observed',
  error: 'No verdict',
};

/** Steps drawn per timeline; an example has three, and more would not fit the panel. */
const MAX_STEPS = 8;
const LANE_LABEL_WIDTH = 150;
const STEP_WIDTH = 120;
const LANE_HEIGHT = 64;

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A thread name short enough for its lane label; the full name is the label's tooltip. */
function shortName(name: string): string {
  return name.length > 20 ? `${name.slice(0, 19)}…` : name;
}

/** Escapes text and shows its `backticked` names as code, as the CLI's sentences write them. */
function prose(text: unknown): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function stepLabel(step: InterleavingStep): string {
  if (step.action === 'write') {
    const based = step.based_on === undefined ? '' : ` from v${step.based_on}`;
    return `wrote v${step.version}${based}`;
  }
  return `${step.action === 'checked' ? 'checked' : 'read'} v${step.version}`;
}

/**
 * The interleaving as two (or more) lanes, one per thread, in the order the
 * threads first appear, with the steps left to right in the order they
 * happened. A write based on a version another thread had already replaced
 * is drawn as the stale one, since that is the race.
 */
export function timeline(steps: InterleavingStep[]): string {
  const shown = steps.slice(0, MAX_STEPS);
  if (shown.length === 0) return '';
  const threads = [...new Set(shown.map((s) => s.thread))];
  const width = LANE_LABEL_WIDTH + shown.length * STEP_WIDTH + 20;
  const height = threads.length * LANE_HEIGHT + 10;
  const laneY = (thread: string) => threads.indexOf(thread) * LANE_HEIGHT + LANE_HEIGHT / 2 + 4;
  const stepX = (i: number) => LANE_LABEL_WIDTH + i * STEP_WIDTH + STEP_WIDTH / 2;
  /** The highest version written so far: a later write based on an older one lost an update. */
  let latest = Number.NEGATIVE_INFINITY;
  const lanes = threads.map((thread) => {
    const y = laneY(thread);
    return `<g class="lane"><title>${escapeHtml(thread)}</title><text x="0" y="${y + 4}" class="thread">${escapeHtml(shortName(thread))}</text><line x1="${LANE_LABEL_WIDTH - 10}" x2="${width - 10}" y1="${y}" y2="${y}" class="track"></line></g>`;
  });
  const links = shown.slice(1).map((step, i) => {
    const from = shown[i];
    return `<line x1="${stepX(i)}" y1="${laneY(from.thread)}" x2="${stepX(i + 1)}" y2="${laneY(step.thread)}" class="link"></line>`;
  });
  const dots = shown.map((step, i) => {
    const stale = step.action === 'write' && step.based_on !== undefined && latest > step.based_on;
    if (step.action === 'write') latest = Math.max(latest, step.version);
    const x = stepX(i);
    const y = laneY(step.thread);
    const cls = `step ${escapeHtml(step.action)}${stale ? ' stale' : ''}`;
    return `<g class="${cls}"><title>${escapeHtml(`${step.thread}: ${stepLabel(step)} (line ${step.line})`)}</title><circle cx="${x}" cy="${y}" r="7"></circle><text x="${x}" y="${y - 14}" class="what">${escapeHtml(stepLabel(step))}${stale ? ' ✗' : ''}</text><text x="${x}" y="${y + 24}" class="where">${i + 1}. line ${escapeHtml(step.line)}</text></g>`;
  });
  return `<svg class="timeline" role="img" aria-label="Interleaving of the threads, left to right in time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${lanes.join('')}${links.join('')}${dots.join('')}</svg>`;
}

function evidenceSection(e: Evidence): string {
  const title = KIND_TITLES[e.kind] ?? e.kind;
  const where = e.pass === 'free-threaded' ? ' (free-threaded interpreter, no forced switch)' : '';
  const location = e.example.location ? ` of <code>${escapeHtml(e.example.location)}</code>` : '';
  const exception = e.example.exception
    ? `<p class="error"><code>${escapeHtml(e.example.exception)}</code>${e.example.message ? `: ${escapeHtml(e.example.message)}` : ''}</p>`
    : '';
  return `<section class="evidence"><h3>${escapeHtml(title)}${location} at line ${escapeHtml(e.line)}: ${count(e.count)}×${escapeHtml(where)}</h3>
${exception}<p>${escapeHtml(e.example.text)}</p>${timeline(e.example.steps ?? [])}</section>`;
}

function passesTable(view: ConfirmView): string {
  if (view.passes.length === 0) return '';
  const rows = view.passes.map(
    (p) =>
      `<tr><td>${escapeHtml(p.pass)}</td><td>${escapeHtml(p.python.version)}</td><td>${count(p.runs)}</td><td>${count(p.executions)}</td><td>${count(p.contended)}</td><td>${count(p.forced_switches)}</td><td>${count(p.threads_seen)}</td></tr>`,
  );
  return `<table><thead><tr><th>pass</th><th>Python</th><th>runs</th><th>read-write windows</th><th>entered by another thread</th><th>forced switches</th><th>threads</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function whatRan(view: ConfirmView): string {
  if (view.entry) return `Ran <code>${escapeHtml(view.entry.call)}</code>, which ${prose(view.entry.why)}.`;
  if (view.runs > 0) return `Ran the call on ${count(view.threads)} threads at once, released by a barrier.`;
  return '';
}

function statementLine(view: ConfirmView): string {
  const st = view.statement;
  if (!st) return `<p>${escapeHtml(view.file)}</p>`;
  const guard = st.guard_line ? `, checked by the <code>if</code> on line ${escapeHtml(st.guard_line)}` : '';
  const finding = st.finding ? ` · finding <code>${escapeHtml(st.finding.rule)}</code>` : ' · no finding on this line';
  return `<p>${escapeHtml(st.file)}:${escapeHtml(st.line)} · ${escapeHtml(st.location)} <code>${escapeHtml(st.target)}</code>${guard}${finding}</p>`;
}

const STYLE = `
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
.box { border: 1px solid var(--vscode-panel-border, #8884); padding: .5em 1em; border-radius: 4px; margin: 1em 0; }
.verdict { font-size: 1.15em; font-weight: 600; }
.confirmed .verdict { color: var(--vscode-errorForeground, #f14c4c); }
.not-observed .verdict { color: var(--vscode-charts-green, #89d185); }
.timeline { display: block; margin: .5em 0 1em; max-width: 100%; height: auto; }
.timeline .thread, .timeline .what, .timeline .where { fill: var(--vscode-foreground); font-size: 12px; }
.timeline .what, .timeline .where { text-anchor: middle; } .timeline .where { opacity: .75; }
.timeline .track { stroke: var(--vscode-panel-border, #8886); stroke-width: 2; }
.timeline .link { stroke: var(--vscode-foreground); stroke-dasharray: 3 3; opacity: .5; }
.timeline .step circle { fill: var(--vscode-charts-blue, #3794ff); }
.timeline .step.write circle { fill: var(--vscode-charts-orange, #d18616); }
.timeline .step.stale circle { fill: var(--vscode-charts-red, #f14c4c); }
.timeline .step.stale .what { fill: var(--vscode-errorForeground, #f14c4c); font-weight: 600; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: .2em .8em; text-align: right; border-bottom: 1px solid #8884; }
td:first-child, th:first-child { text-align: left; } .error { color: var(--vscode-errorForeground, #f14c4c); }
pre { background: var(--vscode-textCodeBlock-background, #8882); padding: .5em; overflow-x: auto; }
`;

export function renderConfirmHtml(view: ConfirmView, options: { nonce: string; cspSource: string }): string {
  const csp = `default-src 'none'; style-src 'nonce-${options.nonce}'; img-src ${options.cspSource} data:;`;
  const verdict = VERDICT_TITLES[view.verdict] ?? view.verdict;
  // The summary starts with the verdict ("Confirmed: ..."), which the heading above it already says.
  const rest = view.summary.startsWith(`${verdict}: `) ? view.summary.slice(verdict.length + 2) : view.summary;
  const summary = rest.charAt(0).toUpperCase() + rest.slice(1);
  const text = view.statement ? view.statement.text : '';
  const interpreters = [
    view.python ? `Python ${escapeHtml(view.python.version)} (${escapeHtml(view.python.executable)})` : '',
    view.free_threaded_python
      ? `free-threaded ${escapeHtml(view.free_threaded_python.version)}, GIL ${view.free_threaded_python.gil_enabled ? 'enabled' : 'disabled'}`
      : '',
  ].filter(Boolean);
  const evidence = view.evidence.map(evidenceSection).join('');
  const notes = view.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  const errors = view.errors.map((e) => `<pre>${escapeHtml(e)}</pre>`).join('');
  const failure = view.error
    ? `<p class="error">${escapeHtml(view.error.message)}</p>${view.error.traceback ? `<pre>${escapeHtml(view.error.traceback)}</pre>` : ''}`
    : '';
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${options.nonce}">${STYLE}</style><title>Race confirmation</title></head><body class="${escapeHtml(view.verdict)}">
<h2>Race confirmation${text ? `: <code>${escapeHtml(text)}</code>` : ''}</h2>
${statementLine(view)}
<div class="box"><p class="verdict" data-verdict="${escapeHtml(view.verdict)}">${escapeHtml(verdict)}</p><p>${prose(summary)}</p>${failure}</div>
<p>${whatRan(view)}${interpreters.length > 0 ? ` ${interpreters.join('; ')}.` : ''}</p>
${evidence}${passesTable(view)}${notes ? `<ul>${notes}</ul>` : ''}${errors}
<p>The statement's read and write were pulled apart by a forced thread switch; versions count the statement's own writes of the location. Runs that show no race do not prove that none can happen.</p>
</body></html>`;
}
