/**
 * The real-code study's scoring, as pure functions so that `test/study.test.ts`
 * can check them without snapshots or a network.
 *
 * A judged finding is keyed by repository, path (relative to the repository
 * root), line and rule; a judged thread target by repository, path and the
 * target's `def` line. The pinned commit makes lines stable, so no fuzzy
 * matching is attempted: a judgement whose key no longer matches is simply
 * not reported any more (a kept TP that disappears counts as lost).
 */

/** `owner/name` lines of a reserved-repos file, lower-cased; `#` starts a comment. */
export function parseReserved(text) {
  return new Set(
    text
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim().toLowerCase())
      .filter(Boolean),
  );
}

/** Throws when a study repository is reserved for independent evaluation. */
export function refuseReserved(repos, reserved) {
  const bad = repos.filter((r) => reserved.has(r.repo.toLowerCase()));
  if (bad.length > 0) {
    throw new Error(
      `refusing reserved repositories (kept for independent evaluation): ${bad.map((r) => r.repo).join(', ')}`,
    );
  }
}

export const findingKey = (repo, path, line, rule) => `${repo}\t${path}\t${line}\t${rule}`;
export const targetKey = (repo, path, line) => `${repo}\t${path}\t${line}`;

const BLOCKING = new Set(['error', 'warning']);

/**
 * Scores one run. `reported` is a list of { repo, path, line, rule, severity,
 * message } findings and { repo, path, line, name, classification } targets;
 * `judged` is judged.json. Unsure verdicts are left out of precision.
 */
export function score(reported, judged, linesChecked) {
  const verdicts = new Map(judged.findings.map((j) => [findingKey(j.repo, j.path, j.line, j.rule), j]));
  const classes = new Map(judged.targets.map((j) => [targetKey(j.repo, j.path, j.line), j]));
  const tally = { warning: { tp: 0, fp: 0, unsure: 0 }, hint: { tp: 0, fp: 0, unsure: 0 } };
  const unjudged = [];
  const wrong = [];
  const seen = new Set();
  for (const f of reported.findings) {
    const key = findingKey(f.repo, f.path, f.line, f.rule);
    const j = verdicts.get(key);
    if (!j) {
      unjudged.push(f);
      continue;
    }
    seen.add(key);
    const bucket = BLOCKING.has(f.severity) ? tally.warning : tally.hint;
    if (j.verdict === 'TP') bucket.tp++;
    else if (j.verdict === 'FP') {
      bucket.fp++;
      wrong.push({ ...f, reason: j.reason, category: j.category });
    } else bucket.unsure++;
  }
  const judgedTps = judged.findings.filter((j) => j.verdict === 'TP');
  const lostTps = judgedTps.filter((j) => !seen.has(findingKey(j.repo, j.path, j.line, j.rule)));

  // A judged target's true class is `none` when it is not a thread target at all;
  // then not reporting it is right.
  const reportedTargets = new Map(reported.targets.map((t) => [targetKey(t.repo, t.path, t.line), t]));
  let right = 0;
  const misclassified = [];
  for (const [key, j] of classes) {
    const t = reportedTargets.get(key);
    const got = t ? t.classification : 'none';
    if (got === j.trueClass) right++;
    else misclassified.push({ repo: j.repo, path: j.path, line: j.line, name: j.name, got, want: j.trueClass });
  }
  const unjudgedTargets = reported.targets.filter((t) => !classes.has(targetKey(t.repo, t.path, t.line)));
  const ratio = (a, b) => (b === 0 ? 1 : a / b);
  return {
    warningPrecision: ratio(tally.warning.tp, tally.warning.tp + tally.warning.fp),
    hintPrecision: ratio(tally.hint.tp, tally.hint.tp + tally.hint.fp),
    tally,
    keptTps: judgedTps.length - lostTps.length,
    judgedTps: judgedTps.length,
    lostTps,
    classification: ratio(right, classes.size),
    classRight: right,
    classJudged: classes.size,
    misclassified,
    wrong,
    unjudged,
    unjudgedTargets,
    findingsPerKloc: (1000 * reported.findings.length) / Math.max(1, linesChecked),
    findings: reported.findings.length,
    linesChecked,
  };
}

/** The one line for closing notes. */
export function summaryLine(s) {
  const f = (x) => x.toFixed(2);
  const w = s.tally.warning;
  const h = s.tally.hint;
  return (
    `study: warning precision ${f(s.warningPrecision)} (${w.tp} TP / ${w.fp} FP / ${w.unsure} unsure), ` +
    `hint precision ${f(s.hintPrecision)} (${h.tp}/${h.fp}/${h.unsure}), ` +
    `kept TPs ${s.keptTps}/${s.judgedTps}, classification ${f(s.classification)} (${s.classRight}/${s.classJudged}), ` +
    `${s.findings} findings, ${f(s.findingsPerKloc)} per 1,000 lines, ` +
    `${s.unjudged.length} unjudged findings, ${s.unjudgedTargets.length} unjudged targets`
  );
}
