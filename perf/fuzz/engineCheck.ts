/**
 * What one fuzz input must survive in-process: reading its bytes as `check`
 * does, then syntax, model and analysis through the engine facade, and the
 * report must point inside the text it describes (a finding or a fix past the
 * end of a line or the file is how issue 13 defect 8 showed). A refusal
 * (binary, invalid UTF-8, too deep to parse) is an answer, not a crash; text
 * `check` refuses is still analysed in the lossy decoding an editor would
 * send the language server, so the engine sees those inputs too.
 */
import type { FileReport, Span } from '../../server/src/analysis/types';
import { defaultConfig } from '../../server/src/analysis/types';
import { checkSources, type Syntax } from '../../server/src/engine';
import { decodeSource } from '../../server/src/files/readSource';
import { SkippedSource } from '../../server/src/syntax/parser';

export interface CheckOutcome {
  /** Why the reader or the parser refused the input, when it did. */
  skipped?: string;
  findings: number;
}

/** A report that contradicts its text; thrown so the fuzzer treats it as a crash. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

const lossy = new TextDecoder('utf-8');

export function checkInput(syntax: Syntax, bytes: Uint8Array, name = 'fuzz'): CheckOutcome {
  const read = decodeSource(bytes);
  const text = read.ok ? read.text : lossy.decode(bytes);
  try {
    const [report] = checkSources(syntax, [{ path: `${name}.py`, text, moduleName: name }], defaultConfig());
    assertInside(report, text);
    return { skipped: read.ok ? undefined : read.reason, findings: report.findings.length };
  } catch (error) {
    if (error instanceof SkippedSource) return { skipped: error.reason, findings: 0 };
    throw error;
  }
}

/** Every finding and every fix edit lies inside the text, with lines broken where LSP breaks them. */
export function assertInside(report: FileReport, text: string): void {
  const lengths = text.split(/\r\n|\r|\n/).map((line) => line.length);
  const check = (span: Span, what: string) => {
    const inside = (line: number, col: number) =>
      line >= 0 && line < lengths.length && col >= 0 && col <= lengths[line];
    const ordered = span.line < span.endLine || (span.line === span.endLine && span.col <= span.endCol);
    if (!inside(span.line, span.col) || !inside(span.endLine, span.endCol) || !ordered) {
      const at = `${span.line}:${span.col}-${span.endLine}:${span.endCol}`;
      throw new InvariantError(`${what} at ${at} is outside the ${lengths.length}-line text`);
    }
  };
  for (const finding of report.findings) {
    check(finding.span, `${finding.rule} finding`);
    for (const fix of finding.fixes ?? []) for (const edit of fix.edits) check(edit.span, `${finding.rule} fix edit`);
  }
}
