/**
 * The idle turn's full collection (issue 13 defect 12): it is due only when
 * the heap has grown past twice what the last one left alive and 32 MB
 * beyond it, so the old generation stays bounded under editing while a quiet
 * server, or a small heap, gets only the cheap minor collection.
 */
import { describe, expect, it } from 'vitest';
import { collectWhenIdle, enableIdleGc, majorDue } from '../../server/src/lsp/idleGc';

const MB = 1024 * 1024;

describe('full collections in idle time', () => {
  it('are due past twice the live size and 32 MB beyond it', () => {
    expect(majorDue(20 * MB, 0)).toBe(false);
    expect(majorDue(33 * MB, 0)).toBe(true);
    expect(majorDue(60 * MB, 30 * MB)).toBe(false);
    expect(majorDue(61 * MB, 30 * MB)).toBe(false);
    expect(majorDue(63 * MB, 30 * MB)).toBe(true);
    expect(majorDue(150 * MB, 80 * MB)).toBe(false);
    expect(majorDue(161 * MB, 80 * MB)).toBe(true);
  });

  it('run when garbage has piled up, and not again until it piles up anew', async () => {
    expect(enableIdleGc({})).toBe(true);
    // About 48 MB that a full collection can free: the heap grows past the 32 MB floor.
    let garbage: number[][] | undefined = Array.from({ length: 48 }, () => new Array(128 * 1024).fill(1.5));
    expect(garbage.length).toBe(48);
    garbage = undefined;
    expect(await collectWhenIdle()).toBe('major');
    expect(await collectWhenIdle()).toBe('minor');
  });
});
