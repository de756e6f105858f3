/**
 * `gil-lens bench ...`: hands the arguments to the benchmark command in
 * server/src/bench/benchCli.ts, which owns its own options, output and exit
 * status. The CLI only dispatches. The module is imported lazily so `check`
 * never evaluates the benchmark code (esbuild still bundles it into cli.js).
 */

export async function runBench(argv: string[]): Promise<number> {
  const { runBenchCli } = await import('../bench/benchCli');
  return runBenchCli(argv);
}
