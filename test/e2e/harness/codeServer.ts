// Runs a real VS Code for the end-to-end suite: code-server from the cache that
// scripts/setup-e2e.sh fills, with the freshly packaged .vsix installed into a
// throwaway extensions dir, a throwaway user-data dir and a temp copy of the
// sample workspace. code-server starts in its own process group, and
// stopCodeServer() kills that whole group, whatever happened in the tests.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e');

/** The paths that scripts/setup-e2e.sh prints as KEY=VALUE lines. */
export interface E2eTools {
  node: string;
  codeServer: string;
  chromium: string;
}

export interface CodeServer {
  url: string;
  workspace: string;
  process: ChildProcess;
  tempRoot: string;
  logFile: string;
}

/** User settings: no welcome page, no chat, no trust prompt, nothing that phones home. */
const userSettings = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'editor.minimap.enabled': false,
  'editor.hover.delay': 300,
  'files.autoSave': 'off',
  'git.enabled': false,
};

export function runSetup(): E2eTools {
  const script = path.join(repoRoot, 'scripts', 'setup-e2e.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`scripts/setup-e2e.sh failed with status ${result.status}`);
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const match = /^(E2E_\w+)=(.*)$/.exec(line);
    if (match) values.set(match[1], match[2]);
  }
  const get = (key: string) => {
    const value = values.get(key);
    if (!value) throw new Error(`scripts/setup-e2e.sh did not print ${key}`);
    return value;
  };
  return { node: get('E2E_NODE'), codeServer: get('E2E_CODE_SERVER'), chromium: get('E2E_CHROMIUM') };
}

/** Packages the extension with `npm run package`, unless E2E_VSIX names a ready one. */
export function packageVsix(): string {
  const ready = process.env.E2E_VSIX;
  if (ready) return path.resolve(ready);
  const result = spawnSync('npm', ['run', 'package'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run package failed with status ${result.status}`);
  return path.join(repoRoot, 'gil-lens.vsix');
}

function codeServerArgs(tools: E2eTools, tempRoot: string): string[] {
  return [
    tools.codeServer,
    '--user-data-dir',
    path.join(tempRoot, 'user-data'),
    '--extensions-dir',
    path.join(tempRoot, 'extensions'),
  ];
}

/** code-server keeps its config and state under XDG folders: keep those throwaway too. */
function codeServerEnv(tempRoot: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.VSCODE_IPC_HOOK_CLI;
  return {
    ...env,
    XDG_CONFIG_HOME: path.join(tempRoot, 'xdg-config'),
    XDG_DATA_HOME: path.join(tempRoot, 'xdg-data'),
  };
}

export function installExtension(tools: E2eTools, tempRoot: string, vsix: string): string {
  const result = spawnSync(tools.node, [...codeServerArgs(tools, tempRoot), '--install-extension', vsix], {
    encoding: 'utf8',
    env: codeServerEnv(tempRoot),
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`--install-extension failed (status ${result.status}):\n${output}`);
  }
  return output.trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer at ${url} within ${timeoutMs} ms`);
}

/** Makes the temp folders, writes the user settings and copies the sample workspace. */
export function prepareTempRoot(): { tempRoot: string; workspace: string } {
  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'gil-lens-e2e-'));
  const userDir = path.join(tempRoot, 'user-data', 'User');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify(userSettings, null, 2));
  const workspace = path.join(tempRoot, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
  return { tempRoot, workspace };
}

export async function startCodeServer(tools: E2eTools, tempRoot: string, workspace: string): Promise<CodeServer> {
  const port = await freePort();
  fs.mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(resultsDir, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const args = [
    ...codeServerArgs(tools, tempRoot),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    workspace,
  ];
  // detached: code-server gets its own process group (it forks the extension
  // host, which forks our language server), so one kill reaches all of them.
  const child = spawn(tools.node, args, { detached: true, stdio: ['ignore', log, log], env: codeServerEnv(tempRoot) });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = { url, workspace, process: child, tempRoot, logFile };
  process.once('exit', () => killGroup(child, 'SIGKILL'));
  try {
    await waitForHttp(`${url}/healthz`, child, 60_000);
  } catch (error) {
    await stopCodeServer(server);
    throw error;
  }
  return server;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to code-server's process group, SIGKILL after 5 s, then removes the temp folders. */
export async function stopCodeServer(server: CodeServer | undefined): Promise<void> {
  if (!server) return;
  const pid = server.process.pid;
  if (pid !== undefined) {
    killGroup(server.process, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pid)) killGroup(server.process, 'SIGKILL');
  }
  if (!process.env.E2E_KEEP_TEMP) fs.rmSync(server.tempRoot, { recursive: true, force: true });
}
