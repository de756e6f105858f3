/**
 * The `--format sarif` report: SARIF 2.1.0 as GitHub code scanning ingests it.
 *
 * One run, whose driver lists every rule (so `ruleIndex` is stable whatever
 * was found) with its descriptions, help link and configured level. Results
 * point at files by URI relative to the working directory (`%SRCROOT%`), which
 * is the repository root when the check runs in CI; files outside it get an
 * absolute `file:` URI. Regions use 1-based lines and UTF-16 columns with an
 * exclusive end column, which is SARIF's default column kind. Skipped files
 * become tool execution notifications rather than results, since they are
 * problems with the run, not with the code.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Config, type Finding, RULE_IDS, type RuleId, type Severity } from '../../analysis/types';
import { toOneBased } from '../positions';
import { type CheckedFile, sortedFindings } from '../results';
import { HOMEPAGE, RULE_HELP, ruleHelpUri } from '../ruleHelp';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifOptions {
  cwd: string;
  config: Config;
  version: string;
}

/** SARIF has no `info` or `hint`; both are notes. */
export function sarifLevel(severity: Severity | 'off'): SarifLevel {
  if (severity === 'off') return 'none';
  return severity === 'error' || severity === 'warning' ? severity : 'note';
}

export function toSarif(files: CheckedFile[], options: SarifOptions): object {
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gil-lens',
            version: options.version,
            semanticVersion: options.version,
            informationUri: HOMEPAGE,
            rules: RULE_IDS.map((rule) => ruleDescriptor(rule, options.config)),
          },
        },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications(files, options.cwd) }],
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${options.cwd}${path.sep}`).href } },
        columnKind: 'utf16CodeUnits',
        results: files.flatMap((file) => sortedFindings(file.report).map((f) => result(file, f, options.cwd))),
      },
    ],
  };
}

export function formatSarif(files: CheckedFile[], options: SarifOptions): string {
  return `${JSON.stringify(toSarif(files, options), null, 2)}\n`;
}

function ruleDescriptor(rule: RuleId, config: Config): object {
  const help = RULE_HELP[rule];
  const level = config.rules[rule];
  return {
    id: rule,
    name: rule,
    shortDescription: { text: help.short },
    fullDescription: { text: help.full },
    help: { text: `${help.full}\n\nSee ${ruleHelpUri(rule)}` },
    helpUri: ruleHelpUri(rule),
    defaultConfiguration: { level: sarifLevel(level), enabled: level !== 'off' },
  };
}

function result(file: CheckedFile, finding: Finding, cwd: string): object {
  const { line, column, endLine, endColumn } = toOneBased(finding.span);
  return {
    ruleId: finding.rule,
    ruleIndex: RULE_IDS.indexOf(finding.rule),
    level: sarifLevel(finding.severity),
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: artifactLocation(file.absPath, cwd),
          region: { startLine: line, startColumn: column, endLine, endColumn },
        },
      },
    ],
  };
}

function notifications(files: CheckedFile[], cwd: string): object[] {
  return files
    .filter((file) => file.error)
    .map((file) => ({
      level: 'warning',
      message: { text: `${file.path}: ${file.error}` },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(file.absPath, cwd) } }],
    }));
}

/** Relative to the source root with forward slashes; absolute `file:` URIs for files outside it. */
export function artifactLocation(absPath: string, cwd: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(cwd, absPath);
  const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
  if (rel === '' || outside) return { uri: pathToFileURL(absPath).href };
  const uri = rel.split(path.sep).map(encodeURIComponent).join('/');
  return { uri, uriBaseId: '%SRCROOT%' };
}
