/**
 * Command-line parsing for `gil-lens check`. It turns argv into a plain
 * options object or a UsageError whose message says what was wrong; the
 * caller prints it with the usage text and exits 2. Node's own parseArgs does
 * the tokenising (`--format json`, `--format=json`, `--`), this module the
 * checking.
 */
import { parseArgs } from 'node:util';

export const FORMATS = ['text', 'json', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

export interface CheckOptions {
  format: Format;
  /** `--config FILE`; otherwise the nearest pyproject.toml is used. */
  config?: string;
  /** `--jobs N`: threads that read and model files; undefined means all cores. */
  jobs?: number;
  paths: string[];
  help: boolean;
}

export class UsageError extends Error {}

export const CHECK_USAGE = `Usage: gil-lens check [options] PATH...

Check Python files and folders (walked for *.py, honouring .gitignore) for
unsynchronised shared state, CPU-bound work in threads, blocking calls in
async code and process-pool hazards.

Options:
  --format FORMAT  text (default), json or sarif
  --config FILE    read [tool.gil-lens] from FILE instead of the nearest pyproject.toml
  -j, --jobs N     read and model files on N threads (default: all cores; 1: one thread)
  -h, --help       show this help

Exit status: 0 no findings at warning level or above, 1 findings,
2 usage error or unreadable input.
`;

export function parseCheckArgs(argv: string[]): CheckOptions {
  let parsed: ReturnType<typeof parseCheckTokens>;
  try {
    parsed = parseCheckTokens(argv);
  } catch (error) {
    // Node's messages name the offending option; keep only their first sentence.
    const first = error instanceof Error ? error.message.split('. ')[0].replace(/\.$/, '') : String(error);
    throw new UsageError(first.charAt(0).toLowerCase() + first.slice(1));
  }
  const { values, positionals } = parsed;
  const help = values.help === true;
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown format "${format}"; use one of ${FORMATS.join(', ')}`);
  }
  if (values.config === '') throw new UsageError('--config needs a file name');
  if (positionals.length === 0 && !help) throw new UsageError('no paths given; name files or folders to check');
  const jobs = values.jobs === undefined ? undefined : parseJobs(values.jobs);
  return { format: format as Format, config: values.config, jobs, paths: positionals, help };
}

/** A whole number of threads, at least 1; `--jobs 0` or `--jobs two` is a usage error, not a silent default. */
function parseJobs(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--jobs needs a whole number of threads, 1 or more (got "${text}")`);
  }
  return Number(text);
}

function parseCheckTokens(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string' },
      config: { type: 'string' },
      jobs: { type: 'string', short: 'j' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
