/**
 * What the VS Code client and the language server share: command ids, custom
 * notifications, and the settings with their types and defaults. Settings are
 * declared for users in package.json `contributes.configuration`; this module
 * gives them types and the same defaults, and test/lsp/settingsSync.test.ts
 * keeps the two in step. It imports nothing heavier than the rule ids, so the
 * client bundle stays small.
 */
import { RULE_IDS, type RuleId, type Severity } from './analysis/types';
import { MAX_FILE_BYTES, MAX_INDEXED_FILES } from './config/limits';

/** The settings section, and the language client's id (so `gil-lens.trace.server` works). */
export const SECTION = 'gil-lens';

export const COMMANDS = {
  /** Client command behind the Benchmark CodeLens and menu entry: `(uri?: string, line?: number)`. */
  benchmarkFunction: 'gil-lens.benchmarkFunction',
  /** Client command behind the "Confirm this race" code action, hover link and CodeLens: `(uri?: string, line?: number)`, line 0-based. */
  confirmRace: 'gil-lens.confirmRace',
  restartServer: 'gil-lens.restartServer',
  showOutput: 'gil-lens.showOutput',
} as const;

/**
 * The race confirmation as an LSP command (`workspace/executeCommand`), for any editor:
 * `{ uri, line, call?, threads?, runs?, python?, freeThreadedPython? }` with `line` 0-based as in LSP.
 * The result is the ConfirmResult JSON of `gil-lens confirm --format json`.
 */
export const CONFIRM_COMMAND = 'gil-lens.server.confirm';

/** Server notification that feeds the client's status bar item. */
export const STATUS_NOTIFICATION = 'gil-lens/status';

export interface StatusParams {
  state: 'indexing' | 'ready';
  /** Files indexed so far and in total, while indexing. */
  done?: number;
  total?: number;
  /** When ready: the workspace's Python files beyond `gil-lens.maxIndexedFiles`, left out of the index. */
  leftOut?: number;
}

/** Client notification sent when the user grants workspace trust after start-up. */
export const TRUST_NOTIFICATION = 'gil-lens/trusted';

export interface TrustParams {
  trusted: boolean;
}

/** `initialize` options the VS Code client sends; other editors may pass `settings` only. */
export interface InitOptions {
  /** Initial settings for clients that do not answer `workspace/configuration`. */
  settings?: unknown;
  /** False in a restricted-mode VS Code window: nothing that runs user code is offered. */
  trusted?: boolean;
  /** The client registered the benchmark command, so the Benchmark lens can call it. */
  benchmarkLens?: boolean;
  /** The client registered `gil-lens.confirmRace`, so code actions, hover links and lenses can call it. */
  confirmRace?: boolean;
}

/** A rule's severity setting: `default` keeps pyproject.toml's value or the rule's default. */
export type RuleSetting = Severity | 'off' | 'default';
export const RULE_SETTINGS: readonly RuleSetting[] = ['default', 'error', 'warning', 'info', 'hint', 'off'];

export type TraceSetting = 'off' | 'messages' | 'verbose';

export interface Settings {
  enable: boolean;
  rules: Record<RuleId, RuleSetting>;
  codeLens: { enable: boolean };
  trace: { server: TraceSetting };
  /** Files larger than this many bytes are skipped. */
  maxFileSize: number;
  /** The workspace index holds at most this many files (0: none, only open documents are analysed). */
  maxIndexedFiles: number;
  /** Quiet time after an edit before diagnostics are recomputed; 0 (the default) adapts to the analysis time. */
  diagnosticsDelayMs: number;
  pythonPath: string;
  freeThreadedPythonPath: string;
  benchmark: {
    /** Worker count; 0 means `os.cpu_count()`. */
    workers: number;
    budgetSeconds: number;
    timeoutSeconds: number;
  };
}

export const DEFAULT_SETTINGS: Settings = {
  enable: true,
  rules: Object.fromEntries(RULE_IDS.map((rule) => [rule, 'default'])) as Record<RuleId, RuleSetting>,
  codeLens: { enable: true },
  trace: { server: 'off' },
  maxFileSize: MAX_FILE_BYTES,
  maxIndexedFiles: MAX_INDEXED_FILES,
  diagnosticsDelayMs: 0,
  pythonPath: '',
  freeThreadedPythonPath: '',
  benchmark: { workers: 0, budgetSeconds: 10, timeoutSeconds: 60 },
};

/**
 * The settings flattened to dotted keys (`gil-lens.rules.shared-mutation`), as
 * package.json declares them. The sync test compares the two key by key.
 */
export function flattenSettings(settings: Settings = DEFAULT_SETTINGS): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (value: unknown, prefix: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, `${prefix}.${key}`);
    } else {
      out[prefix] = value;
    }
  };
  walk(settings, SECTION);
  return out;
}

/** The README anchor documenting a rule; diagnostics link to it. */
export function ruleDocUrl(rule: string): string {
  return `https://github.com/gil-lens/gil-lens#${rule}`;
}
