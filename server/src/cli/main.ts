/**
 * The `gil-lens` command-line entry point (bundled to dist/cli.js and started
 * by bin/gil-lens.js). It only dispatches: `check` to check.ts, `bench` to the
 * benchmark module, `confirm` to the race confirmation, plus `--help` and
 * `--version`. The exit status is set rather than forced with process.exit,
 * so piped output is flushed first.
 */
import { version } from '../../../package.json';
import { runBench } from './benchCommand';
import { type CliIo, runCheck } from './check';
import { runConfirm } from './confirmCommand';

const USAGE = `gil-lens ${version}: find where Python threads fight the GIL and where they race.

Usage:
  gil-lens check [--format text|json|sarif] [--config FILE] PATH...
  gil-lens bench FILE::FUNCTION [--call "f(10)"] [--workers N] ...
  gil-lens confirm FILE:LINE [--call "f(1)"] [--threads N] [--runs K] ...
  gil-lens --help | --version

Run "gil-lens check --help", "gil-lens bench --help" or "gil-lens confirm --help" for their options.
`;

function stdio(): CliIo {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    color: process.stdout.isTTY === true && !noColor,
    version,
  };
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return runCheck(rest, io);
    case 'bench':
      return runBench(rest);
    case 'confirm':
      return runConfirm(rest);
    case '--version':
    case '-V':
      io.stdout(`${version}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE);
      return 0;
    case undefined:
      io.stderr(USAGE);
      return 2;
    default:
      io.stderr(`gil-lens: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2), stdio()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A crash is a bug in gil-lens, not a finding: say so and use the error status.
    process.stderr.write(`gil-lens: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
