/**
 * Scoring of the real-bug study (study/bugs.json), as pure functions so that
 * `test/studyBugs.test.ts` can check them without snapshots or a network.
 *
 * A bug is found when a finding of its expected rule, in its file, covers one
 * of its racy lines (the finding's range `line`..`endLine` contains the line).
 * Every other finding in that file counts as an "other finding" of the bug:
 * the noise a user sees next to the real bug.
 */

export const BUG_RULES = ['shared-mutation', 'blocking-in-async', 'process-pool-hazard', 'cpu-bound-thread'];
export const BUG_ROLES = ['check', 'act', 'mutate', 'iterate', 'block'];

/** Problems in a bugs.json entry list (empty when it is well formed). */
export function validateBugs(bugs) {
  const problems = [];
  const ids = new Set();
  for (const b of bugs) {
    const where = b.id ?? JSON.stringify(b).slice(0, 60);
    if (!b.id || ids.has(b.id)) problems.push(`${where}: missing or duplicate id`);
    ids.add(b.id);
    if (!/^[^/\s]+\/[^/\s]+$/.test(b.repo ?? '')) problems.push(`${where}: repo must be owner/name`);
    if (!/^[0-9a-f]{40}$/.test(b.commit ?? '')) problems.push(`${where}: commit must be 40 hex digits`);
    if (!/^[0-9a-f]{40}$/.test(b.fix ?? '')) problems.push(`${where}: fix must be 40 hex digits`);
    if (!b.path || !b.file || !(b.path === '.' || b.file.startsWith(`${b.path.replace(/\/$/, '')}/`))) {
      problems.push(`${where}: file must lie under path`);
    }
    if (!BUG_RULES.includes(b.rule)) problems.push(`${where}: unknown rule ${b.rule}`);
    if (!Array.isArray(b.lines) || b.lines.length === 0) problems.push(`${where}: no lines`);
    for (const l of b.lines ?? []) {
      if (!Number.isInteger(l.line) || l.line < 1) problems.push(`${where}: bad line ${l.line}`);
      if (!BUG_ROLES.includes(l.role)) problems.push(`${where}: unknown role ${l.role}`);
    }
    if (!/^https:\/\//.test(b.link ?? '')) problems.push(`${where}: link must be an https URL`);
    if (!b.description) problems.push(`${where}: no description`);
  }
  return problems;
}

/** Whether a finding's range covers a line. */
export function covers(finding, line) {
  const end = finding.endLine ?? finding.line;
  return finding.line <= line && line <= Math.max(end, finding.line);
}

/**
 * Scores one bug. `findings` are the findings reported for the bug's
 * package, each { path (relative to the repository root), line, endLine?,
 * rule, severity, message }; only those in the bug's file are looked at.
 */
export function scoreBug(bug, findings) {
  const inFile = findings.filter((f) => f.path === bug.file);
  const hits = inFile.filter((f) => f.rule === bug.rule && bug.lines.some((l) => covers(f, l.line)));
  const hitSet = new Set(hits);
  const others = inFile.filter((f) => !hitSet.has(f));
  return { id: bug.id, repo: bug.repo, rule: bug.rule, file: bug.file, found: hits.length > 0, hits, others };
}

/**
 * Scores a run. `results` maps a bug id to its package's findings; a bug
 * without an entry was skipped (no snapshot, or the pre-fix commit is
 * missing) and is left out of the ratios.
 */
export function scoreBugs(bugs, results) {
  const scored = [];
  const skipped = [];
  for (const bug of bugs) {
    const findings = results.get(bug.id);
    if (findings === undefined) skipped.push(bug.id);
    else scored.push(scoreBug(bug, findings));
  }
  const found = scored.filter((s) => s.found).length;
  const otherFindings = scored.reduce((n, s) => n + s.others.length, 0);
  const byRule = {};
  for (const s of scored) {
    byRule[s.rule] ??= { found: 0, total: 0 };
    byRule[s.rule].total++;
    if (s.found) byRule[s.rule].found++;
  }
  return {
    scored,
    skipped,
    found,
    total: scored.length,
    recall: scored.length === 0 ? 0 : found / scored.length,
    otherFindings,
    othersPerBugFile: scored.length === 0 ? 0 : otherFindings / scored.length,
    byRule,
  };
}

/** The one line for closing notes. */
export function bugSummaryLine(s) {
  return (
    `bugs: found ${s.found}/${s.total} (${(100 * s.recall).toFixed(0)}%), ` +
    `other findings per bug file ${s.othersPerBugFile.toFixed(2)}`
  );
}
