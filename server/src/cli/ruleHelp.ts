/**
 * One-line and full descriptions of each rule, for SARIF's rule metadata and
 * `gil-lens check --help`. The wording follows the rule definitions in the
 * corpus FORMAT.md; each rule's detailed documentation lives in its analysis
 * module and the README's rules section, which `helpUri` points at.
 */
import type { RuleId } from '../analysis/types';

/** Where the project lives; SARIF viewers link rule help here. */
export const HOMEPAGE = 'https://github.com/gil-lens/gil-lens';

export interface RuleHelp {
  short: string;
  full: string;
}

export const RULE_HELP: Record<RuleId, RuleHelp> = {
  'shared-mutation': {
    short: 'Unsynchronised write to state shared between threads',
    full:
      'A write or read-modify-write (x += 1, d[k] += 1, self.n += 1, check-then-act) to state reachable from ' +
      'more than one thread, made without holding a lock. Updates can be lost; guard the state with a ' +
      'threading.Lock or hand it to a single writer through a queue. Not reported: state owned by one asyncio ' +
      'event loop, and benign races whose only effect is duplicated work (a memo of equal values, a warn-once set).',
  },
  'cpu-bound-thread': {
    short: 'CPU-bound pure-Python work handed to threads',
    full:
      'The thread target spends its time in pure-Python computation, which the GIL serialises, so extra ' +
      'threads add overhead without speed. Use ProcessPoolExecutor, vectorise with NumPy, or run on a ' +
      'free-threaded CPython build (3.13t/3.14t).',
  },
  'blocking-in-async': {
    short: 'Blocking call inside async def',
    full:
      'A blocking call (time.sleep, requests.get, open().read ...) runs on the event loop and stalls every ' +
      'other coroutine. Use await asyncio.sleep, asyncio.to_thread, or an async client.',
  },
  'process-pool-hazard': {
    short: 'Work that cannot cross the process-pool boundary',
    full:
      'A lambda, nested function or unpicklable argument is handed to a process pool, or a pool is created ' +
      'at import time without an `if __name__ == "__main__":` guard. Pass module-level functions and ' +
      'picklable data, and create pools under the main guard.',
  },
};

/** The README anchor of a rule's documentation. */
export function ruleHelpUri(rule: RuleId): string {
  return `${HOMEPAGE}#${rule}`;
}
