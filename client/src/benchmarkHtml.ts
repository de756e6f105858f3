/**
 * The benchmark result as a self-contained HTML page for the webview: a bar
 * chart of speedup per mode in inline SVG, a table of the numbers, the
 * verdict next to the static prediction, warnings, and the traceback when
 * the user's code failed. No scripts and no remote content: the CSP allows
 * only the page's own nonce-tagged style. Every value is HTML-escaped, since
 * tracebacks and messages carry text from the user's code. Pure, so it is
 * unit-tested without VS Code.
 */

/** The subset of the server's BenchResult the page shows (its JSON, read defensively). */
export interface BenchView {
  ok: boolean;
  function: string;
  call: string;
  prediction: string;
  prediction_reasons?: string[];
  workers: number;
  cpu_count: number;
  python?: { executable: string; version: string };
  free_threaded_python?: { executable: string; version: string; gil_enabled: boolean };
  modes: Array<{
    mode: string;
    median_s: number | null;
    iqr_s: number | null;
    speedup: number | null;
    cpu_s: number | null;
    spread_warning?: boolean;
    error?: { kind: string; message: string; rule?: string };
  }>;
  verdict: string;
  warnings: string[];
  error?: { kind: string; message: string; traceback?: string };
}

const PREDICTIONS: Record<string, string> = {
  cpu: 'CPU-bound',
  io: 'I/O-bound',
  native: 'GIL-releasing native work',
  mixed: 'mixed',
  unknown: 'no static prediction',
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string,
  );
}

function num(value: number | null, digits = 4): string {
  return value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** Horizontal bars, one per mode, scaled to the largest speedup (at least N×). */
export function speedupChart(view: BenchView): string {
  const rows = view.modes.filter((m) => m.speedup !== null);
  const max = Math.max(view.workers, ...rows.map((m) => m.speedup as number), 1);
  const barWidth = 300;
  const rowHeight = 28;
  const height = rows.length * rowHeight + 24;
  const one = 170 + (1 / max) * barWidth;
  const bars = rows.map((m, i) => {
    const y = i * rowHeight + 4;
    const width = Math.max(2, ((m.speedup as number) / max) * barWidth);
    const label = `${(m.speedup as number).toFixed(2)}×`;
    return `<text x="0" y="${y + 15}" class="label">${escapeHtml(m.mode)}</text><rect x="170" y="${y}" width="${width.toFixed(1)}" height="20" class="bar ${m.mode === 'sequential' ? 'base' : ''}"></rect><text x="${(176 + width).toFixed(1)}" y="${y + 15}" class="value">${label}</text>`;
  });
  return `<svg role="img" aria-label="Speedup per mode" width="${170 + barWidth + 70}" height="${height}" viewBox="0 0 ${170 + barWidth + 70} ${height}">${bars.join('')}<line x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="0" y2="${height - 18}" class="one"></line><text x="${one.toFixed(1)}" y="${height - 4}" class="axis">1× (sequential)</text></svg>`;
}

function table(view: BenchView): string {
  const rows = view.modes.map((m) => {
    if (m.error) {
      const rule = m.error.rule ? ` <code>${escapeHtml(m.error.rule)}</code>` : '';
      return `<tr><td>${escapeHtml(m.mode)}</td><td colspan="4" class="error">${escapeHtml(m.error.message)}${rule}</td></tr>`;
    }
    const spread = m.spread_warning ? ' <span class="warn" title="IQR over 10% of the median">±</span>' : '';
    return `<tr><td>${escapeHtml(m.mode)}</td><td>${num(m.median_s)}${spread}</td><td>${num(m.iqr_s)}</td><td>${m.speedup === null ? '–' : `${m.speedup.toFixed(2)}×`}</td><td>${num(m.cpu_s)}</td></tr>`;
  });
  return `<table><thead><tr><th>mode</th><th>median (s)</th><th>IQR (s)</th><th>speedup</th><th>CPU (s)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
.columns { display: flex; gap: 2em; flex-wrap: wrap; }
.box { border: 1px solid var(--vscode-panel-border, #8884); padding: .5em 1em; border-radius: 4px; flex: 1; min-width: 16em; }
.bar { fill: var(--vscode-charts-blue, #3794ff); } .bar.base { fill: var(--vscode-charts-foreground, #888); }
.label, .value, .axis { fill: var(--vscode-foreground); font-size: 12px; } .axis { text-anchor: middle; }
.one { stroke: var(--vscode-charts-red, #f14c4c); stroke-dasharray: 3 3; }
table { border-collapse: collapse; margin: 1em 0; } td, th { padding: .2em .8em; text-align: right; border-bottom: 1px solid #8884; }
td:first-child, th:first-child { text-align: left; } .error, .warn { color: var(--vscode-errorForeground, #f14c4c); }
pre { background: var(--vscode-textCodeBlock-background, #8882); padding: .5em; overflow-x: auto; }
`;

export function renderBenchmarkHtml(view: BenchView, options: { nonce: string; cspSource: string }): string {
  const csp = `default-src 'none'; style-src 'nonce-${options.nonce}'; img-src ${options.cspSource} data:;`;
  const prediction = PREDICTIONS[view.prediction] ?? view.prediction;
  const reasons = (view.prediction_reasons ?? []).map((r) => `<li>${escapeHtml(r)}</li>`).join('');
  const interpreters = [
    view.python ? `Python ${escapeHtml(view.python.version)} (${escapeHtml(view.python.executable)})` : '',
    view.free_threaded_python
      ? `free-threaded ${escapeHtml(view.free_threaded_python.version)}, GIL ${view.free_threaded_python.gil_enabled ? 'enabled' : 'disabled'}`
      : 'no free-threaded interpreter',
  ].filter(Boolean);
  const body = view.ok
    ? `${speedupChart(view)}${table(view)}`
    : `<p class="error">${escapeHtml(view.error?.message ?? 'The benchmark failed.')}</p>${view.error?.traceback ? `<pre>${escapeHtml(view.error.traceback)}</pre>` : ''}`;
  const warnings = view.warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${options.nonce}">${STYLE}</style><title>Benchmark ${escapeHtml(view.function)}</title></head><body>
<h2>Benchmark: <code>${escapeHtml(view.call)}</code></h2>
<p>${view.workers} calls per sample, ${view.workers} threads or processes, ${view.cpu_count} cores. ${interpreters.join('; ')}.</p>
<div class="columns"><div class="box"><h3>Static prediction</h3><p>${escapeHtml(prediction)}</p>${reasons ? `<ul>${reasons}</ul>` : ''}</div>
<div class="box"><h3>Verdict</h3><p class="verdict">${escapeHtml(view.verdict)}</p></div></div>
${body}${warnings ? `<ul>${warnings}</ul>` : ''}
<p>Speedup is the sequential median divided by the mode's median for the same ${view.workers} calls; the free-threaded speedup is against sequential runs on the same free-threaded interpreter.</p>
</body></html>`;
}
