/**
 * The idle-time collection (server/src/lsp/idleGc.ts): it can be switched
 * off, and when on, one request in a turn runs one real minor collection,
 * observed through Node's `gc` performance entries.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectWhenIdle, enableIdleGc } from '../../server/src/lsp/idleGc';

/** Minor collections seen while `run` and the turn after it complete. */
async function minorCollections(run: () => void): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  run();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 20));
  observer.disconnect();
  return minor;
}

describe('idle-time collection', () => {
  it('stays off when GIL_LENS_IDLE_GC=0', () => {
    expect(enableIdleGc({ GIL_LENS_IDLE_GC: '0' })).toBe(false);
  });

  it('runs a minor collection after the current turn, once for a burst of requests', async () => {
    expect(enableIdleGc({})).toBe(true);
    const seen = await minorCollections(() => {
      for (let i = 0; i < 5; i++) collectWhenIdle();
    });
    expect(seen).toBeGreaterThanOrEqual(1);
    // Five requests in one turn share one collection; V8 may add its own, but not four more.
    expect(seen).toBeLessThan(5);
  });
});
