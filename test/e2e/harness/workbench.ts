// Playwright helpers that drive the VS Code workbench the way a person does:
// Quick Open to open a file, the mouse to hover, Ctrl+. for quick fixes, and
// what is drawn on screen (squiggles, hovers, CodeLens) as the thing to check.
// Selectors are VS Code's own class names (monaco-editor, view-line,
// squiggly-*, monaco-hover, codelens-decoration, action-widget).
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { resultsDir } from './codeServer';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(executablePath: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  return { browser, page };
}

let shotCount = 0;
/** Saves test-results/e2e/NN-name.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  shotCount += 1;
  const file = path.join(resultsDir, `${String(shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  return file;
}

export async function openWorkbench(page: Page, url: string, workspace: string): Promise<void> {
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
  // The explorer lists the workspace once the remote file system is up.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
}

/** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor. */
export async function openFile(page: Page, fileName: string): Promise<Locator> {
  await page
    .locator('.monaco-workbench')
    .click({ position: { x: 700, y: 400 } })
    .catch(() => undefined);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: fileName }).waitFor({ timeout: 15_000 });
  const editor = activeEditor(page);
  await editor.locator('.view-line').first().waitFor({ timeout: 15_000 });
  return editor;
}

export function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor').first();
}

/** The rendered line whose text contains `text` (Playwright folds the editor's nbsp into spaces). */
export function lineOf(editor: Locator, text: string): Locator {
  return editor.locator('.view-line', { hasText: text }).first();
}

/**
 * The screen point at the middle of `needle` on the line containing `lineText`.
 * Monaco may merge neighbouring tokens into one span, so this measures instead:
 * the editor font is monospace, so a character is the line's width / length.
 */
export async function pointOf(editor: Locator, lineText: string, needle: string): Promise<{ x: number; y: number }> {
  const content = lineOf(editor, lineText).locator(':scope > span');
  await content.waitFor({ timeout: 15_000 });
  const text = ((await content.textContent()) ?? '').replace(/\u00a0/g, ' ');
  const box = await content.boundingBox();
  const at = text.indexOf(needle, Math.max(0, text.indexOf(lineText)));
  if (!box || at < 0 || text.length === 0) throw new Error(`"${needle}" not found on the line "${lineText}"`);
  const charWidth = box.width / text.length;
  return { x: box.x + (at + needle.length / 2) * charWidth, y: box.y + box.height / 2 };
}

type Box = { x: number; y: number; width: number; height: number };

function overlapsVertically(a: Box, b: Box): boolean {
  const top = Math.max(a.y, b.y);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return bottom - top > Math.min(a.height, b.height) / 2;
}

/** Boxes of the squiggles drawn on the same screen row as the line containing `lineText`. */
export async function squigglesOnLine(editor: Locator, lineText: string): Promise<Box[]> {
  const line = await lineOf(editor, lineText).boundingBox();
  if (!line) return [];
  const squiggles = editor.locator('.squiggly-error, .squiggly-warning, .squiggly-info, .squiggly-hint');
  const found: Box[] = [];
  for (const squiggle of await squiggles.all()) {
    const box = await squiggle.boundingBox();
    if (box && overlapsVertically(box, line)) found.push(box);
  }
  return found;
}

/** Polls `check` until it returns a value, or throws after `timeoutMs` with the last reason. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
}

/** Runs a command by name through the Command Palette (F1). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}
