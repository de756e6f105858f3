/**
 * Shrinking a failing input to a repro a person can read: delta debugging
 * (Zeller's ddmin) over lines, removing halves, then quarters and so on down
 * to single lines while the input still fails the same way, then the same
 * over bytes when what is left is short. Line units keep their own break
 * bytes, so a lone CR or a CRLF survives shrinking. The search stops at a
 * budget of attempts or a deadline and returns the smallest failing input
 * found so far, which always still fails.
 */

export interface ShrinkBudget {
  /** Most candidate runs. */
  attempts: number;
  /** Date.now() after which no new candidate is tried. */
  deadline: number;
}

/** Split into lines, each keeping the `\n` that ends it. */
export function lineUnits(bytes: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) {
    units.push(bytes.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < bytes.length) units.push(bytes.subarray(start));
  return units;
}

function byteUnits(bytes: Buffer): Buffer[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/** The largest byte length the byte-level pass runs on; above it, lines are as small as it gets. */
const BYTE_PASS_LIMIT = 2_000;

export async function shrink(
  input: Buffer,
  fails: (candidate: Buffer) => Promise<boolean>,
  budget: ShrinkBudget,
): Promise<Buffer> {
  let tries = 0;
  const test = async (units: Buffer[]): Promise<boolean> => {
    if (tries >= budget.attempts || Date.now() > budget.deadline) return false;
    tries++;
    return fails(Buffer.concat(units));
  };
  let best = Buffer.concat(await ddmin(lineUnits(input), test));
  if (best.length <= BYTE_PASS_LIMIT) best = Buffer.concat(await ddmin(byteUnits(best), test));
  return best;
}

/** Remove chunks of `units`, ever smaller, while what is left still fails. */
async function ddmin(units: Buffer[], fails: (units: Buffer[]) => Promise<boolean>): Promise<Buffer[]> {
  let granularity = 2;
  while (units.length >= 2) {
    const size = Math.ceil(units.length / granularity);
    let reduced = false;
    for (let start = 0; start < units.length; start += size) {
      const complement = [...units.slice(0, start), ...units.slice(start + size)];
      if (complement.length > 0 && (await fails(complement))) {
        units = complement;
        granularity = Math.max(granularity - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (granularity >= units.length) break;
      granularity = Math.min(granularity * 2, units.length);
    }
  }
  // A single unit may still go entirely when the failure does not need it.
  if (units.length === 1 && (await fails([]))) return [];
  return units;
}
