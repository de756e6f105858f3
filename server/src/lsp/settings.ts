/**
 * Editor settings as the server sees them: whatever the client sends (VS Code's
 * `workspace/configuration` answer, Neovim's `settings` table, or
 * initializationOptions) is read against the typed defaults in protocol.ts, so
 * a wrong type or an unknown value falls back to the default instead of
 * reaching the analysis. The rule severities are then laid over the
 * configuration from pyproject.toml: a rule set to `default` keeps the
 * project's choice, anything else overrides it.
 */
import { type Config, RULE_IDS } from '../analysis/types';
import { DEFAULT_SETTINGS, RULE_SETTINGS, type RuleSetting, type Settings } from '../protocol';

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Copy `raw` over `defaults` key by key, keeping a default wherever the type differs. */
function mergeTyped<T>(defaults: T, raw: unknown): T {
  if (!isPlain(defaults) || !isPlain(raw)) {
    return typeof raw === typeof defaults && raw !== null ? (raw as T) : defaults;
  }
  const out: Plain = { ...defaults };
  for (const key of Object.keys(defaults)) {
    if (key in raw) out[key] = mergeTyped(defaults[key], raw[key]);
  }
  return out as T;
}

/** Read a settings object; `raw` may be the `gil-lens` section itself or hold it under `gil-lens`. */
export function normalizeSettings(raw: unknown): Settings {
  const section = isPlain(raw) && isPlain(raw['gil-lens']) ? raw['gil-lens'] : raw;
  const settings = mergeTyped(DEFAULT_SETTINGS, section);
  const rules = { ...DEFAULT_SETTINGS.rules };
  for (const rule of RULE_IDS) {
    const value = settings.rules[rule];
    if (RULE_SETTINGS.includes(value)) rules[rule] = value as RuleSetting;
  }
  settings.rules = rules;
  if (!Number.isFinite(settings.maxFileSize) || settings.maxFileSize <= 0) {
    settings.maxFileSize = DEFAULT_SETTINGS.maxFileSize;
  }
  if (!Number.isInteger(settings.maxIndexedFiles) || settings.maxIndexedFiles < 0) {
    settings.maxIndexedFiles = DEFAULT_SETTINGS.maxIndexedFiles;
  }
  if (!Number.isFinite(settings.diagnosticsDelayMs) || settings.diagnosticsDelayMs < 0) {
    settings.diagnosticsDelayMs = DEFAULT_SETTINGS.diagnosticsDelayMs;
  }
  return settings;
}

/** The project's configuration with the editor's rule settings on top. */
export function effectiveConfig(project: Config, settings: Settings): Config {
  const rules = { ...project.rules };
  for (const rule of RULE_IDS) {
    const value = settings.rules[rule];
    if (value !== 'default') rules[rule] = value;
  }
  return { ...project, rules };
}
