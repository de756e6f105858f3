/**
 * Turns the text of a `pyproject.toml` into an effective gil-lens Config.
 *
 * It reads the `[tool.gil-lens]` table and merges it over the defaults. The
 * function is pure (text in, config and warnings out) so the CLI and the
 * language server share it and it can be tested without files. Anything it does
 * not understand (unknown keys, rule ids, severities, wrong types, even invalid
 * TOML) becomes a warning and the default is kept: a typo in a config file
 * should never stop a check from running, nor switch it off. A value of the
 * wrong type is dropped as a whole, so it can only leave a default in place;
 * the one key that can turn every rule off, `select`, is ignored when it
 * names no known rule.
 *
 * ```toml
 * [tool.gil-lens]
 * rules = { shared-mutation = "error", cpu-bound-thread = "info" }
 * select = ["shared-mutation", "cpu-bound-thread"]   # only these rules
 * ignore = ["blocking-in-async"]                     # never these rules
 * extra-io = ["mylib.fetch"]
 * extra-native = ["fastmath.dot"]
 * extra-locks = ["mylib.SpinLock"]
 * assume-threads = "auto"                            # or "always" / "never"
 * ```
 */
import { parse as parseToml } from 'smol-toml';
import {
  type AssumeThreads,
  type Config,
  defaultConfig,
  RULE_IDS,
  type RuleId,
  SEVERITIES,
  type Severity,
} from '../analysis/types';

export interface ConfigResult {
  config: Config;
  warnings: string[];
}

const KNOWN_KEYS = ['rules', 'select', 'ignore', 'extra-io', 'extra-native', 'extra-locks', 'assume-threads'];
const ASSUME_THREADS: readonly AssumeThreads[] = ['auto', 'always', 'never'];
const LIST_KEYS = { 'extra-io': 'extraIo', 'extra-native': 'extraNative', 'extra-locks': 'extraLocks' } as const;

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function isRuleId(value: unknown): value is RuleId {
  return typeof value === 'string' && (RULE_IDS as readonly string[]).includes(value);
}

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/** Read `[tool.gil-lens]` from pyproject.toml text; a file without the table gives the defaults. */
export function configFromPyproject(tomlText: string): ConfigResult {
  let doc: Table;
  try {
    doc = parseToml(tomlText) as Table;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { config: defaultConfig(), warnings: [`invalid TOML, using the default configuration: ${reason}`] };
  }
  const tool = doc.tool;
  if (!isTable(tool) || tool['gil-lens'] === undefined) return { config: defaultConfig(), warnings: [] };
  const table = tool['gil-lens'];
  if (!isTable(table)) {
    return { config: defaultConfig(), warnings: ['[tool.gil-lens] must be a table; using the default configuration'] };
  }
  return configFromTable(table);
}

/** Merge an already parsed `[tool.gil-lens]` table over the defaults. */
export function configFromTable(table: Table): ConfigResult {
  const config = defaultConfig();
  const warnings: string[] = [];
  for (const key of Object.keys(table)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const hint = KNOWN_KEYS.find((k) => k === key.replace(/_/g, '-'));
    warnings.push(`unknown key "${key}" in [tool.gil-lens]${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  applyRuleSeverities(config, table.rules, warnings);
  applySelection(config, table.select, table.ignore, warnings);
  for (const [key, field] of Object.entries(LIST_KEYS)) {
    if (table[key] !== undefined) config[field] = stringList(table[key], key, warnings);
  }
  const assume = table['assume-threads'];
  if (assume !== undefined) {
    if (ASSUME_THREADS.includes(assume as AssumeThreads)) config.assumeThreads = assume as AssumeThreads;
    else warnings.push(`"assume-threads" must be one of ${quoted(ASSUME_THREADS)}; got ${JSON.stringify(assume)}`);
  }
  return { config, warnings };
}

/** `rules = { shared-mutation = "error", ... }`: per-rule severity, or "off". */
function applyRuleSeverities(config: Config, rules: unknown, warnings: string[]): void {
  if (rules === undefined) return;
  if (!isTable(rules)) {
    warnings.push('"rules" must be a table such as rules = { shared-mutation = "error" }');
    return;
  }
  for (const [rule, level] of Object.entries(rules)) {
    if (!isRuleId(rule)) {
      warnings.push(`unknown rule "${rule}" in "rules"; known rules: ${quoted(RULE_IDS)}`);
    } else if (level === 'off' || SEVERITIES.includes(level as Severity)) {
      config.rules[rule] = level as Severity | 'off';
    } else {
      warnings.push(`unknown severity ${JSON.stringify(level)} for rule "${rule}"; use "off", ${quoted(SEVERITIES)}`);
    }
  }
}

/**
 * `select` keeps only the listed rules and `ignore` turns the listed ones off.
 * They decide which rules run; `rules` decides how loud each one is. A rule
 * that both lists name stays off, because ignoring is the more deliberate act.
 */
function applySelection(config: Config, select: unknown, ignore: unknown, warnings: string[]): void {
  if (select !== undefined) {
    const chosen = ruleList(select, 'select', warnings);
    // A selection that names no known rule (a string instead of a list, only
    // typos) would switch every rule off and let the check pass in silence.
    if (chosen.length === 0) {
      warnings.push(
        `"select" names no known rule, so it is ignored and every rule runs; use e.g. select = ["${RULE_IDS[0]}"]`,
      );
    } else {
      for (const rule of RULE_IDS) if (!chosen.includes(rule)) config.rules[rule] = 'off';
    }
  }
  if (ignore !== undefined) {
    for (const rule of ruleList(ignore, 'ignore', warnings)) config.rules[rule] = 'off';
  }
}

function ruleList(value: unknown, key: string, warnings: string[]): RuleId[] {
  const rules: RuleId[] = [];
  for (const item of stringList(value, key, warnings)) {
    if (isRuleId(item)) rules.push(item);
    else warnings.push(`unknown rule "${item}" in "${key}"; known rules: ${quoted(RULE_IDS)}`);
  }
  return rules;
}

function stringList(value: unknown, key: string, warnings: string[]): string[] {
  if (!Array.isArray(value)) {
    warnings.push(`"${key}" must be a list of strings`);
    return [];
  }
  const strings = value.filter((item): item is string => typeof item === 'string');
  if (strings.length !== value.length) warnings.push(`"${key}" must hold only strings; other values were ignored`);
  return strings;
}
