/**
 * CodeLens above each thread target: its classification in a few words and,
 * where the benchmark can run, a "Benchmark" lens.
 *
 * The classification lens has an empty command: it is a label, and clicking
 * it does nothing (the hover on the `def` explains it). The Benchmark lens
 * calls the client command `gil-lens.benchmarkFunction` with the document URI
 * and the 0-based def line. It is only shown when the client said it has that
 * command and the workspace is trusted, because benchmarking runs user code.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import type { FileReport } from '../analysis/types';
import { COMMANDS } from '../protocol';
import { lensTitle } from './gilText';
import { toRange } from './positions';

export interface LensOptions {
  benchmark: boolean;
}

export function codeLensesFor(report: FileReport, uri: string, options: LensOptions): CodeLens[] {
  const lenses: CodeLens[] = [];
  for (const target of report.threadTargets) {
    // A lens sits on the first line of its range; a zero-width range keeps it off the body.
    const at = { ...target.span, endLine: target.span.line, endCol: target.span.col };
    const range = toRange(at);
    lenses.push({ range, command: { title: lensTitle(target), command: '' } });
    if (options.benchmark && target.name !== '<lambda>') {
      lenses.push({
        range,
        command: { title: 'Benchmark', command: COMMANDS.benchmarkFunction, arguments: [uri, target.span.line] },
      });
    }
  }
  return lenses;
}
