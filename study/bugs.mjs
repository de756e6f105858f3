#!/usr/bin/env node
/**
 * `npm run study:bugs -- --snapshots DIR`: does gil-lens find the fixed
 * concurrency bugs of study/bugs.json in their pre-fix code?
 *
 * For each bug it finds the git directory that the search tool's `fetch` left
 * under DIR (`DIR/owner+name/repo` or `DIR/owner+name`), extracts the pre-fix
 * commit's package folder with `git archive`, runs the built CLI
 * (`dist/cli.js check --format json`) on it, and scores the findings in the
 * bug's file (study/bugScore.mjs): found when a finding of the expected rule
 * covers one of the racy lines; every other finding in that file is counted.
 * It refuses the repositories reserved for independent evaluation. It needs
 * the snapshots, so it is a developer tool and not a CI step; nothing of the
 * third-party code is kept in the project.
 *
 * Options: --bug TEXT (only bugs whose id or repository contains TEXT),
 * --verbose (list every other finding), --json FILE (write the per-bug result),
 * --cli FILE (another build's dist/cli.js).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bugSummaryLine, scoreBugs, validateBugs } from './bugScore.mjs';
import { parseReserved, refuseReserved } from './score.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

function parseArgs(argv) {
  const opts = { snapshots: undefined, bug: undefined, verbose: false, json: undefined, cli: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--snapshots') opts.snapshots = argv[++i];
    else if (a === '--bug') opts.bug = argv[++i];
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--json') opts.json = argv[++i];
    else if (a === '--cli') opts.cli = path.resolve(argv[++i]);
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function reservedSet() {
  // The project keeps a copy so that the refusal works without the steering checkout.
  let text = fs.readFileSync(path.join(here, 'reserved-repos.txt'), 'utf8');
  const shared = path.join(root, '..', 'shared', 'realcode', 'reserved-repos.txt');
  if (fs.existsSync(shared)) text += `\n${fs.readFileSync(shared, 'utf8')}`;
  return parseReserved(text);
}

function gitDirFor(snapshots, repo) {
  const base = path.join(snapshots, repo.replace('/', '+'));
  for (const candidate of [path.join(base, 'repo'), base]) {
    if (fs.existsSync(path.join(candidate, 'HEAD'))) return candidate;
  }
  return undefined;
}

function hasCommit(gitDir, commit) {
  return spawnSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${commit}^{commit}`]).status === 0;
}

/** Findings for every file of one pre-fix package, paths relative to the repository root. */
function checkPackage(bug, gitDir, workRoot, cli) {
  const dest = path.join(workRoot, `${bug.repo.replace('/', '+')}@${bug.commit.slice(0, 12)}`);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const archive = spawnSync('git', ['--git-dir', gitDir, 'archive', bug.commit, bug.path], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive failed for ${bug.id}: ${archive.stderr}`);
  execFileSync('tar', ['x', '-C', dest], { input: archive.stdout });
  const started = performance.now();
  const run = spawnSync(process.execPath, [cli, 'check', '--format', 'json', bug.path], {
    cwd: dest,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0 && run.status !== 1) throw new Error(`gil-lens failed on ${bug.id}: ${run.stderr}`);
  const report = JSON.parse(run.stdout);
  const findings = [];
  for (const file of report.files) {
    const rel = file.path.split(path.sep).join('/');
    for (const f of file.findings) {
      findings.push({
        path: rel,
        line: f.line,
        endLine: f.endLine,
        rule: f.rule,
        severity: f.severity,
        message: f.message,
      });
    }
  }
  fs.rmSync(dest, { recursive: true, force: true });
  return { findings, seconds };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help || !opts.snapshots) {
    console.log('usage: npm run study:bugs -- --snapshots DIR [--bug TEXT] [--verbose] [--json FILE] [--cli FILE]');
    process.exit(opts.help ? 0 : 2);
  }
  const { bugs } = JSON.parse(fs.readFileSync(path.join(here, 'bugs.json'), 'utf8'));
  refuseReserved(bugs, reservedSet());
  const problems = validateBugs(bugs);
  if (problems.length > 0) throw new Error(`study/bugs.json is malformed:\n  ${problems.join('\n  ')}`);
  const chosen = bugs.filter((b) => !opts.bug || b.id.includes(opts.bug) || b.repo.includes(opts.bug));
  const cli = opts.cli ?? path.join(root, 'dist', 'cli.js');
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-bugs-'));
  const results = new Map();
  // Bugs that share a pre-fix commit and package are checked once.
  const runs = new Map();
  try {
    for (const bug of chosen) {
      const gitDir = gitDirFor(opts.snapshots, bug.repo);
      if (!gitDir) {
        console.error(`study:bugs: no snapshot of ${bug.repo} under ${opts.snapshots}; ${bug.id} skipped`);
        continue;
      }
      if (!hasCommit(gitDir, bug.commit)) {
        console.error(`study:bugs: the snapshot of ${bug.repo} lacks ${bug.commit}; ${bug.id} skipped`);
        continue;
      }
      const key = `${bug.repo}\t${bug.commit}\t${bug.path}`;
      if (!runs.has(key)) runs.set(key, checkPackage(bug, gitDir, workRoot, cli));
      results.set(bug.id, runs.get(key).findings);
    }
  } finally {
    fs.rmSync(workRoot, { recursive: true, force: true });
  }
  const s = scoreBugs(chosen, results);
  const fmt = (f) => `${f.path}:${f.line} ${f.rule} [${f.severity}] ${f.message.slice(0, 140)}`;
  for (const r of s.scored) {
    const bug = chosen.find((b) => b.id === r.id);
    const lines = bug.lines.map((l) => `${l.line}(${l.role})`).join(',');
    const hit = r.found ? ` at ${[...new Set(r.hits.map((h) => h.line))].join(',')}` : '';
    console.log(
      `${r.found ? 'found ' : 'missed'}  ${r.id.padEnd(44)} ${bug.rule.padEnd(19)} ${bug.file}:${lines}${hit}  ` +
        `other findings ${r.others.length}`,
    );
    if (opts.verbose) for (const o of r.others) console.log(`          other: ${fmt(o)}`);
  }
  if (s.skipped.length > 0) console.log(`\nskipped (${s.skipped.length}): ${s.skipped.join(', ')}`);
  console.log(
    `\nby rule: ${Object.entries(s.byRule)
      .map(([rule, t]) => `${rule} ${t.found}/${t.total}`)
      .join(', ')}`,
  );
  if (opts.json) {
    const out = s.scored.map((r) => ({ id: r.id, found: r.found, hits: r.hits, others: r.others }));
    fs.writeFileSync(opts.json, JSON.stringify({ summary: bugSummaryLine(s), bugs: out }, null, 2));
  }
  console.log(`\n${bugSummaryLine(s)}`);
}

try {
  main();
} catch (error) {
  console.error(`study:bugs: ${error.message}`);
  process.exit(2);
}
