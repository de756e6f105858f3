/**
 * The ways into race confirmation from a `shared-mutation` finding: a
 * "Confirm this race" code action, a CodeLens above the flagged statement
 * and a command link in its hover. All three are offered only in a trusted
 * workspace, since the run imports and runs the user's module, and none is
 * offered for other rules.
 *
 * Which command they carry depends on the client. The VS Code client
 * registers `gil-lens.confirmRace` (it saves the file, finds the interpreter,
 * shows progress and the verdict panel) and says so in `initializationOptions`;
 * the lens and the hover link, which are VS Code's command links, need it.
 * Any other editor gets a code action that runs the server command
 * `gil-lens.server.confirm` itself, and sees the outcome as "confirmed by a
 * run" on the diagnostic.
 */
import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type CodeLens,
  type Command,
} from 'vscode-languageserver/node';
import type { FileReport, Finding } from '../analysis/types';
import { COMMANDS, CONFIRM_COMMAND } from '../protocol';
import { toDiagnostic } from './diagnostics';
import { spanTouches, toRange } from './positions';

export const CONFIRM_TITLE = 'Confirm this race';

export interface ConfirmLinkOptions {
  /** The workspace is trusted: code may run. */
  trusted: boolean;
  /** The client registered `gil-lens.confirmRace`. */
  clientCommand: boolean;
}

function racy(report: FileReport): Finding[] {
  return report.findings.filter((f) => f.rule === 'shared-mutation');
}

/** The command that confirms the statement on the finding's first line. */
export function confirmCommand(uri: string, finding: Finding, options: ConfirmLinkOptions): Command {
  const line = finding.span.line;
  return options.clientCommand
    ? { title: CONFIRM_TITLE, command: COMMANDS.confirmRace, arguments: [uri, line] }
    : { title: CONFIRM_TITLE, command: CONFIRM_COMMAND, arguments: [{ uri, line }] };
}

/** "Confirm this race" for each shared-mutation finding that touches the requested range. */
export function confirmCodeActions(
  report: FileReport,
  uri: string,
  params: CodeActionParams,
  options: ConfirmLinkOptions,
): CodeAction[] {
  if (!options.trusted || !uri.startsWith('file:')) return [];
  const only = params.context.only;
  // A quick fix by kind, so it sits in the light bulb next to the fixes of the same diagnostic.
  if (only && !only.some((kind) => CodeActionKind.QuickFix.startsWith(kind))) return [];
  return racy(report)
    .filter((finding) => spanTouches(finding.span, params.range))
    .map((finding) => ({
      title: CONFIRM_TITLE,
      kind: CodeActionKind.QuickFix,
      diagnostics: [toDiagnostic(finding)],
      isPreferred: false,
      command: confirmCommand(uri, finding, options),
    }));
}

/** A "Confirm this race" lens above each flagged statement; only for the VS Code client's command. */
export function confirmLenses(report: FileReport, uri: string, options: ConfirmLinkOptions): CodeLens[] {
  if (!options.trusted || !options.clientCommand || !uri.startsWith('file:')) return [];
  return racy(report).map((finding) => ({
    // A zero-width range on the first line keeps the lens above the statement, not inside it.
    range: toRange({ ...finding.span, endLine: finding.span.line, endCol: finding.span.col }),
    command: confirmCommand(uri, finding, options),
  }));
}

/** The markdown command link for a finding's hover, or undefined where it cannot work. */
export function confirmHoverLink(uri: string, finding: Finding, options: ConfirmLinkOptions): string | undefined {
  if (!options.trusted || !options.clientCommand || !uri.startsWith('file:')) return undefined;
  const args = encodeURIComponent(JSON.stringify([uri, finding.span.line]));
  return `[${CONFIRM_TITLE}](command:${COMMANDS.confirmRace}?${args} "Run the code with the race window forced open")`;
}
