/**
 * `npm run fuzz`, a developer tool bundled to dist/fuzz.js (issue 13): the
 * command line of the two fuzzers. `--count N` mutates the fixtures and the
 * corpus and checks each input in-process and in CLI batches (countMode.ts);
 * `--edits N` edits one document through the language server (editMode.ts).
 * Exit status 0 when nothing failed, 1 when something did (each failure has
 * a repro folder), 2 for a usage error. The same bundle is also the engine
 * worker the count mode starts, which is decided first.
 */
import os from 'node:os';
import path from 'node:path';
import { fuzzInputs } from './countMode';
import { fuzzEdits } from './editMode';
import { isEngineWorker, runEngineWorker } from './engineWorker';

const USAGE = `Usage: npm run fuzz -- (--count N | --edits N) [options]

  --count N          mutate fixture and corpus files into N inputs and check each one
  --edits N          send N random edits to one document through the language server
  --seed S           the run's seed (default 1); the same seed gives the same inputs
  --jobs J           engine workers side by side (default: 2, at most the cores)
  --batch K          inputs per CLI run (default 250)
  --timeout SEC      an input taking longer is a hang (default 10)
  --only I           rebuild and check input I of the seed only (no --count needed)
  --out DIR          where repros go (default .fuzz-crashes)
  --corpus DIR       the corpus (default ../shared/corpus, skipped when absent)
  --rss-every N      edits between RSS samples (default 1000)
  --check-every N    edits between comparisons with a fresh check (default 1000)
  --max-rss-growth P fail when RSS grows over P% from 1,000 edits to the end
  --lines N          lines of the edited document (default 3000)
`;

interface Parsed {
  [key: string]: number | string | undefined;
}

const NUMERIC = new Set([
  'count',
  'edits',
  'seed',
  'jobs',
  'batch',
  'timeout',
  'only',
  'rss-every',
  'check-every',
  'max-rss-growth',
  'lines',
]);
const TEXT = new Set(['out', 'corpus']);

function parseArgs(argv: string[]): Parsed | string {
  const parsed: Parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || (!NUMERIC.has(name) && !TEXT.has(name))) return `unknown option ${argv[i]}`;
    const value = inline ?? argv[++i];
    if (value === undefined) return `${flag} needs a value`;
    if (NUMERIC.has(name)) {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) return `${flag} needs a number, not ${value}`;
      parsed[name] = n;
    } else {
      parsed[name] = value;
    }
  }
  return parsed;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const parsed = parseArgs(args);
  const num = (name: string, fallback: number) =>
    (typeof parsed === 'object' ? (parsed[name] as number) : undefined) ?? fallback;
  const countMode = typeof parsed === 'object' && (parsed.count !== undefined || parsed.only !== undefined);
  if (typeof parsed === 'string' || countMode === (parsed.edits !== undefined)) {
    process.stderr.write(
      `fuzz: ${typeof parsed === 'string' ? parsed : 'give one of --count and --edits'}\n\n${USAGE}`,
    );
    return 2;
  }
  // The bundle lives in dist/, one level below the repository root.
  const root = path.resolve(__dirname, '..');
  const outDir = path.resolve(String(parsed.out ?? '.fuzz-crashes'));
  const corpusDir = parsed.corpus === undefined ? undefined : path.resolve(String(parsed.corpus));
  const seed = num('seed', 1);
  if (parsed.edits !== undefined) {
    const growth = parsed['max-rss-growth'];
    return fuzzEdits({
      edits: num('edits', 0),
      seed,
      root,
      outDir,
      corpusDir,
      rssEvery: Math.max(1, num('rss-every', 1000)),
      checkEvery: Math.max(1, num('check-every', 1000)),
      maxRssGrowth: typeof growth === 'number' ? growth : undefined,
      lines: num('lines', 3000),
    });
  }
  const only = parsed.only;
  return fuzzInputs({
    count: num('count', 0),
    seed,
    jobs: Math.max(1, num('jobs', Math.min(2, os.availableParallelism()))),
    batch: Math.max(1, num('batch', 250)),
    timeoutMs: num('timeout', 10) * 1000,
    outDir,
    root,
    corpusDir,
    only: typeof only === 'number' ? only : undefined,
    bundle: __filename,
  });
}

if (isEngineWorker()) {
  runEngineWorker();
} else {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 2;
    },
  );
}
