/**
 * Line breaks as LSP counts them: `\r\n`, `\n` and a lone `\r` (classic Mac
 * files) each end a line. Tree-sitter's Python scanner ends lines only at
 * `\n` and reads a lone `\r` as blank space, so a file saved with `\r` endings
 * would parse as one long line. Every text that reaches the parser or the
 * model extractor goes through `lspLineBreaks` first: it turns each lone `\r`
 * into `\n`, which keeps the length and every offset, so rows, columns and
 * edit offsets agree with what the editor shows and nothing needs mapping
 * back. `\r\n` stays as it is: tree-sitter already ends the line at its `\n`.
 */

const LF = 10;

/** Does `text` hold a `\r` that no `\n` follows? Costs one native search for files without `\r`. */
export function hasLoneCarriageReturn(text: string): boolean {
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== LF) return true;
  }
  return false;
}

/** `text` with every lone `\r` turned into `\n`: the same length, and the lines LSP sees. */
export function lspLineBreaks(text: string): string {
  return hasLoneCarriageReturn(text) ? text.replace(/\r(?!\n)/g, '\n') : text;
}
