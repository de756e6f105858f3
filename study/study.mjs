#!/usr/bin/env node
/**
 * `npm run study -- --snapshots DIR`: gil-lens on real code, scored against
 * the findings and thread targets in study/judged.json.
 *
 * For each repository in study/repos.json it finds the git directory that the
 * search tool's `fetch` left under DIR (`DIR/owner+name/repo` or
 * `DIR/owner+name`), extracts the pinned commit's folder with `git archive`,
 * runs the built CLI (`dist/cli.js check --format json`) on it and scores the
 * result (study/score.mjs). It refuses every repository listed as reserved for
 * independent evaluation. It needs the snapshots, so it is a developer tool and
 * not a CI step; nothing of the third-party code is kept in the project.
 *
 * Options: --repo NAME (only repositories whose name contains NAME),
 * --unjudged FILE (write the unjudged findings and targets as JSON, ready to
 * be judged), --verbose (list every wrong, lost and misclassified item), --cli FILE (another build's
 * dist/cli.js, to score an earlier commit in the same run).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReserved, refuseReserved, score, summaryLine } from './score.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

function parseArgs(argv) {
  const opts = { snapshots: undefined, repo: undefined, unjudged: undefined, verbose: false, cli: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--snapshots') opts.snapshots = argv[++i];
    else if (a === '--repo') opts.repo = argv[++i];
    else if (a === '--unjudged') opts.unjudged = argv[++i];
    else if (a === '--verbose') opts.verbose = true;
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

function countLines(dir) {
  let lines = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.py')) continue;
    const text = fs.readFileSync(path.join(entry.parentPath ?? entry.path, entry.name), 'utf8');
    lines += text.split('\n').length;
  }
  return lines;
}

function checkRepo(entry, gitDir, workRoot, cli) {
  const dest = path.join(workRoot, entry.repo.replace('/', '+'));
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const archive = spawnSync('git', ['--git-dir', gitDir, 'archive', entry.commit, entry.path], {
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive failed for ${entry.repo}: ${archive.stderr}`);
  execFileSync('tar', ['x', '-C', dest], { input: archive.stdout });
  const started = performance.now();
  const run = spawnSync(process.execPath, [cli, 'check', '--format', 'json', entry.path], {
    cwd: dest,
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0 && run.status !== 1) throw new Error(`gil-lens failed on ${entry.repo}: ${run.stderr}`);
  const report = JSON.parse(run.stdout);
  const findings = [];
  const targets = [];
  for (const file of report.files) {
    const rel = file.path.split(path.sep).join('/');
    for (const f of file.findings) {
      findings.push({
        repo: entry.repo,
        path: rel,
        line: f.line,
        rule: f.rule,
        severity: f.severity,
        message: f.message,
      });
    }
    for (const t of file.threadTargets) {
      targets.push({
        repo: entry.repo,
        path: rel,
        line: t.line,
        name: t.name,
        spawnLine: t.spawnLine,
        classification: t.classification,
        reasons: t.reasons,
      });
    }
  }
  return { findings, targets, lines: countLines(path.join(dest, entry.path)), seconds };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help || !opts.snapshots) {
    console.log('usage: npm run study -- --snapshots DIR [--repo NAME] [--unjudged FILE] [--verbose] [--cli FILE]');
    process.exit(opts.help ? 0 : 2);
  }
  const { repos } = JSON.parse(fs.readFileSync(path.join(here, 'repos.json'), 'utf8'));
  refuseReserved(repos, reservedSet());
  const judged = JSON.parse(fs.readFileSync(path.join(here, 'judged.json'), 'utf8'));
  const chosen = repos.filter((r) => !opts.repo || r.repo.includes(opts.repo));
  const workRoot = path.join(os.tmpdir(), 'gil-lens-study');
  const all = { findings: [], targets: [] };
  let lines = 0;
  const judgedRepos = new Set(chosen.map((r) => r.repo));
  for (const entry of chosen) {
    const gitDir = gitDirFor(opts.snapshots, entry.repo);
    if (!gitDir) {
      console.error(`study: no snapshot of ${entry.repo} under ${opts.snapshots}; skipped`);
      judgedRepos.delete(entry.repo);
      continue;
    }
    const r = checkRepo(entry, gitDir, workRoot, opts.cli ?? path.join(root, 'dist', 'cli.js'));
    all.findings.push(...r.findings);
    all.targets.push(...r.targets);
    lines += r.lines;
    console.log(
      `${entry.repo.padEnd(28)} ${String(r.lines).padStart(7)} lines  ${String(r.findings.length).padStart(4)} findings  ${String(r.targets.length).padStart(3)} targets  ${r.seconds.toFixed(1)} s`,
    );
  }
  const scope = {
    findings: judged.findings.filter((j) => judgedRepos.has(j.repo)),
    targets: judged.targets.filter((j) => judgedRepos.has(j.repo)),
  };
  const s = score(all, scope, lines);
  const show = (label, items, fmt) => {
    if (items.length === 0) return;
    console.log(`\n${label} (${items.length}):`);
    for (const item of opts.verbose ? items : items.slice(0, 15)) console.log(`  ${fmt(item)}`);
    if (!opts.verbose && items.length > 15) console.log(`  … ${items.length - 15} more (--verbose)`);
  };
  show('judged FP still reported', s.wrong, (w) => `${w.repo} ${w.path}:${w.line} ${w.rule} [${w.severity}] ${w.category ?? ''} ${w.reason}`);
  show('judged TP no longer reported', s.lostTps, (j) => `${j.repo} ${j.path}:${j.line} ${j.rule} — ${j.reason}`);
  show('misclassified targets', s.misclassified, (m) => `${m.repo} ${m.path}:${m.line} ${m.name}: ${m.got}, truly ${m.want}`);
  show('unjudged findings', s.unjudged, (f) => `${f.repo} ${f.path}:${f.line} ${f.rule} [${f.severity}] ${f.message.slice(0, 140)}`);
  show('unjudged targets', s.unjudgedTargets, (t) => `${t.repo} ${t.path}:${t.line} ${t.name} → ${t.classification}`);
  if (opts.unjudged) {
    fs.writeFileSync(opts.unjudged, JSON.stringify({ findings: s.unjudged, targets: s.unjudgedTargets }, null, 2));
  }
  console.log(`\n${summaryLine(s)}`);
}

try {
  main();
} catch (error) {
  console.error(`study: ${error.message}`);
  process.exit(2);
}
