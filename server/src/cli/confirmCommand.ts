/**
 * `gil-lens confirm ...`: hands the arguments to the race confirmation in
 * server/src/confirm/confirmCli.ts, which owns its own options, output and
 * exit status. The CLI only dispatches. The module is imported lazily so
 * `check` never evaluates the confirmation code (esbuild still bundles it).
 */

export async function runConfirm(argv: string[]): Promise<number> {
  const { runConfirmCli } = await import('../confirm/confirmCli');
  return runConfirmCli(argv);
}
