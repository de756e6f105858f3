// `npm run test:electron`: the editor scenarios of test/e2e, run inside a real
// VS Code extension host with @vscode/test-electron (suite: suite/index.ts).
// It needs a VS Code build: VSCODE_EXECUTABLE_PATH names an installed one,
// otherwise one is downloaded into .cache/vscode-test. Where neither works (a
// machine without access to VS Code's download servers) it says why and exits
// 0 without running anything; the code-server suite (`npm run test:e2e`)
// covers the same scenarios there. On Linux without a display it starts Xvfb
// when Xvfb is installed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import * as esbuild from 'esbuild';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = path.join(repoRoot, '.cache', 'vscode-test');

function skip(reason) {
  console.log(`test:electron SKIPPED: ${reason}`);
  console.log('To run this suite, set VSCODE_EXECUTABLE_PATH to a VS Code executable, or run it where');
  console.log('VS Code can be downloaded. `npm run test:e2e` runs the same scenarios in code-server.');
  process.exit(0);
}

async function resolveVSCode() {
  const fromEnv = process.env.VSCODE_EXECUTABLE_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) {
      console.error(`VSCODE_EXECUTABLE_PATH=${fromEnv} does not exist`);
      process.exit(1);
    }
    return fromEnv;
  }
  try {
    return await downloadAndUnzipVSCode({
      version: process.env.VSCODE_VERSION ?? 'stable',
      cachePath: cacheDir,
      timeout: 60_000,
    });
  } catch (error) {
    skip(`VS Code could not be downloaded (${error?.message ?? error}) and VSCODE_EXECUTABLE_PATH is not set.`);
  }
}

/** Electron needs an X display on Linux; start Xvfb on a free display number when there is none. */
function ensureDisplay() {
  if (process.platform !== 'linux' || process.env.DISPLAY) return undefined;
  if (spawnSync('sh', ['-c', 'command -v Xvfb'], { stdio: 'ignore' }).status !== 0) {
    console.warn('No DISPLAY and no Xvfb: VS Code may fail to start (apt-get install xvfb).');
    return undefined;
  }
  const display = `:${90 + Math.floor(Math.random() * 9)}`;
  const xvfb = spawn('Xvfb', [display, '-screen', '0', '1400x900x24'], { stdio: 'ignore', detached: true });
  process.env.DISPLAY = display;
  return xvfb;
}

const vscodeExecutablePath = await resolveVSCode();

// The extension under test is this checkout: build its bundles, then the suite.
const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const suiteOut = path.join(repoRoot, '.cache', 'electron-suite');
await esbuild.build({
  entryPoints: [path.join(repoRoot, 'test', 'electron', 'suite', 'index.ts')],
  outfile: path.join(suiteOut, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
});

const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-electron-'));
const workspace = path.join(tempRoot, 'workspace');
fs.cpSync(path.join(repoRoot, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
const userData = path.join(tempRoot, 'user-data');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(
  path.join(userData, 'User', 'settings.json'),
  JSON.stringify({ 'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'telemetry.telemetryLevel': 'off' }),
);

const xvfb = ensureDisplay();
let exitCode = 0;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(suiteOut, 'index.js'),
    extensionTestsEnv: { GIL_LENS_TEST_WORKSPACE: workspace },
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      `--user-data-dir=${userData}`,
      `--extensions-dir=${path.join(tempRoot, 'extensions')}`,
    ],
  });
} catch (error) {
  console.error(`test:electron failed: ${error?.message ?? error}`);
  exitCode = 1;
} finally {
  if (xvfb?.pid) {
    try {
      process.kill(-xvfb.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  fs.rmSync(tempRoot, { recursive: true, force: true });
}
process.exit(exitCode);
