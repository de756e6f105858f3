/**
 * Findings become LSP diagnostics here, and this module decides when.
 *
 * By default there is no fixed wait: an edit is analysed as soon as the
 * messages already received are read, so a burst that arrived together costs
 * one analysis, and a fast analysis is published at once. Only when analyses
 * are slow, or edits arrive faster than an analysis runs, does an edit wait
 * (about as long as the last analysis took), each new edit restarting the
 * wait (`adaptiveDelay`). A positive `gil-lens.diagnosticsDelayMs` asks for a
 * fixed quiet time instead, as before. After the edited document is
 * published, the other open documents are refreshed in a slower pass, since a change in one file can change
 * findings in another; that pass yields between documents and abandons itself
 * as soon as anything changes again, so it never competes with typing.
 * Results for a document that changed or closed while they were computed
 * are dropped rather than published. Once the edited document's diagnostics
 * are written, its analysis garbage is collected (idleGc.ts).
 */
import {
  type Connection,
  type Diagnostic,
  DiagnosticSeverity,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';
import type { FileReport, Finding, Severity } from '../analysis/types';
import { ruleDocUrl, SECTION } from '../protocol';
import { confirmedRelated } from './confirmMarks';
import { collectWhenIdle } from './idleGc';
import { toRange } from './positions';
import type { Session } from './session';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The slower pass over other open documents waits at least this long after the last edit. */
const DEPENDENTS_DELAY_MS = 300;
/** An analysis that takes longer than this is slow: the next edit waits instead of starting one at once. */
const SLOW_ANALYSIS_MS = 40;
/** The longest adaptive wait, however slow the analyses. */
const MAX_ADAPTIVE_DELAY_MS = 200;

/**
 * How long an edit waits before its analysis, with no configured delay: not at all while analyses are
 * fast and edits come slower than they run; otherwise about one analysis' time, so that typing faster
 * than the engine keeps up costs one analysis per pause rather than one per keystroke.
 */
export function adaptiveDelay(lastCostMs: number, sinceLastEditMs: number): number {
  if (lastCostMs <= SLOW_ANALYSIS_MS && sinceLastEditMs >= lastCostMs) return 0;
  return Math.min(Math.ceil(lastCostMs), MAX_ADAPTIVE_DELAY_MS);
}

/**
 * The analysis has already applied the configuration (rules that are off never reach a report, and
 * configured severities are set on each finding, with library-mode hints kept as hints), so the edge
 * maps the finding's own severity and never reads the configuration again.
 */
export function toDiagnostic(finding: Finding): Diagnostic {
  return {
    range: toRange(finding.span),
    severity: SEVERITY[finding.severity] ?? DiagnosticSeverity.Warning,
    code: finding.rule,
    codeDescription: { href: ruleDocUrl(finding.rule) },
    source: SECTION,
    // The first sentence: the hover on the same span, which VS Code shows with it, carries the advice.
    message: finding.summary ?? finding.message,
  };
}

/** `related` adds related information to a finding's diagnostic: "confirmed by a run" (confirmMarks.ts). */
export function toDiagnostics(
  report: FileReport,
  related?: (finding: Finding) => Diagnostic['relatedInformation'],
): Diagnostic[] {
  return report.findings.map((finding) => {
    const diagnostic = toDiagnostic(finding);
    const relatedInformation = related?.(finding);
    return relatedInformation ? { ...diagnostic, relatedInformation } : diagnostic;
  });
}

export interface DiagnosticsScheduler {
  /** A document changed (or opened): publish it after the delay, then refresh the others. */
  changed(uri: string): void;
  /** Settings, configuration or the index changed: refresh every open document. */
  refreshAll(): void;
  /** A document closed: cancel its work and clear its diagnostics. */
  closed(uri: string): void;
}

export function createDiagnosticsScheduler(
  connection: Connection,
  session: Session,
  log: (message: string) => void,
): DiagnosticsScheduler {
  /** Pending publishes per document, as functions that cancel them. */
  const timers = new Map<string, () => void>();
  /** The report each document's diagnostics were last built from, to skip republishing the same. */
  const published = new Map<string, FileReport | undefined>();
  let others: NodeJS.Timeout | undefined;
  /** How long the edited document's analysis took lately (a moving average), and when the last edit came. */
  let cost = 0;
  let lastEdit = Number.NEGATIVE_INFINITY;

  const publish = (uri: string, always: boolean): void => {
    const open = session.docs.get(uri);
    if (!open) return;
    const version = open.doc.version;
    let diagnostics: Diagnostic[] = [];
    let report: FileReport | undefined;
    try {
      const started = performance.now();
      report = session.report(uri);
      if (always) cost = (cost + (performance.now() - started)) / 2;
      if (!always && published.has(uri) && published.get(uri) === report) return;
      if (report && session.settings.enable)
        diagnostics = toDiagnostics(report, (f) => confirmedRelated(session, uri, f));
    } catch (error) {
      log(`${open.key}: diagnostics failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Analysis is synchronous, but a version check keeps this safe if it ever is not.
    if (session.docs.get(uri)?.doc.version !== version) return;
    published.set(uri, report);
    const params: PublishDiagnosticsParams = { uri, version, diagnostics };
    const sent = connection.sendDiagnostics(params);
    // The edited document's analysis is done and written: collect its garbage before the next keystroke.
    if (always) void sent.then(collectWhenIdle, () => undefined);
  };

  const refreshOthers = async (except: string | undefined): Promise<void> => {
    const revision = session.revision;
    for (const uri of [...session.docs.keys()]) {
      if (uri === except || timers.has(uri)) continue;
      // Anything new (an edit, a settings change) makes this pass stale; the next one covers it.
      if (session.revision !== revision) return;
      publish(uri, false);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const scheduleOthers = (except: string | undefined, delay: number): void => {
    if (others) clearTimeout(others);
    others = setTimeout(() => {
      others = undefined;
      void refreshOthers(except);
    }, delay);
  };

  return {
    changed(uri) {
      timers.get(uri)?.();
      const now = performance.now();
      const configured = session.settings.diagnosticsDelayMs;
      const delay = configured > 0 ? configured : adaptiveDelay(cost, now - lastEdit);
      lastEdit = now;
      const run = () => {
        timers.delete(uri);
        publish(uri, true);
        if (session.docs.size > 1) scheduleOthers(uri, Math.max(configured, DEPENDENTS_DELAY_MS));
      };
      // setTimeout waits at least a millisecond even for 0; without a delay, run once pending messages are read.
      if (delay > 0) {
        const timer = setTimeout(run, delay);
        timers.set(uri, () => clearTimeout(timer));
      } else {
        const immediate = setImmediate(run);
        timers.set(uri, () => clearImmediate(immediate));
      }
      if (others) clearTimeout(others);
    },
    refreshAll() {
      scheduleOthers(undefined, session.settings.diagnosticsDelayMs);
    },
    closed(uri) {
      timers.get(uri)?.();
      timers.delete(uri);
      published.delete(uri);
      void connection.sendDiagnostics({ uri, diagnostics: [] });
    },
  };
}
