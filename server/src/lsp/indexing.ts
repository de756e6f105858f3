/**
 * Keeps the workspace index current and tells the user about it: the
 * background build with `window/workDoneProgress` (shown by any LSP client)
 * plus a `gil-lens/status` notification that drives the VS Code status bar
 * item, and the file-watching events that update one file at a time.
 *
 * When the build finishes, or a watched file changes, every open document is
 * refreshed, because its findings may depend on the files that changed.
 */
import {
  type Connection,
  DidChangeWatchedFilesNotification,
  type DidChangeWatchedFilesParams,
  FileChangeType,
} from 'vscode-languageserver/node';
import { STATUS_NOTIFICATION, type StatusParams } from '../protocol';
import type { DiagnosticsScheduler } from './diagnostics';
import type { ProjectConfigs } from './projectConfig';
import { type Session, uriToFile } from './session';
import type { WorkspaceIndex } from './workspaceIndex';

/** Progress is reported at most this often, so a fast index does not flood the client. */
const PROGRESS_INTERVAL_MS = 100;

export interface IndexingDeps {
  connection: Connection;
  session: Session;
  index: WorkspaceIndex;
  configs: ProjectConfigs;
  scheduler: DiagnosticsScheduler;
  log: (message: string) => void;
}

function sendStatus(connection: Connection, params: StatusParams): void {
  void connection.sendNotification(STATUS_NOTIFICATION, params);
}

/** Build the index of `folders` in the background, with progress. */
export async function indexWorkspace(deps: IndexingDeps, folders: string[]): Promise<void> {
  const { connection, index, session, scheduler, log } = deps;
  const started = performance.now();
  const progress = await connection.window.createWorkDoneProgress();
  progress.begin('gil-lens: indexing', 0, 'finding Python files', false);
  sendStatus(connection, { state: 'indexing', done: 0, total: 0 });
  let last = 0;
  let complete = false;
  try {
    complete = await index.build(folders, (done, total) => {
      const now = performance.now();
      if (now - last < PROGRESS_INTERVAL_MS && done < total) return;
      last = now;
      progress.report(Math.round((done / Math.max(total, 1)) * 100), `${done}/${total} files`);
      sendStatus(connection, { state: 'indexing', done, total });
    });
  } catch (error) {
    log(`index: failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    progress.done();
  }
  // A superseded build leaves reporting and refreshing to the build that replaced it.
  if (!complete) return;
  sendStatus(connection, index.leftOut > 0 ? { state: 'ready', leftOut: index.leftOut } : { state: 'ready' });
  log(`index: ${index.models.size} Python files in ${Math.round(performance.now() - started)} ms`);
  session.indexChanged();
  scheduler.refreshAll();
}

/** Ask the client to report `.py` and `pyproject.toml` changes, where it supports registering watchers. */
export function watchFiles(connection: Connection): void {
  void connection.client.register(DidChangeWatchedFilesNotification.type, {
    watchers: [{ globPattern: '**/*.py' }, { globPattern: '**/pyproject.toml' }],
  });
}

export async function onWatchedFiles(deps: IndexingDeps, params: DidChangeWatchedFilesParams): Promise<void> {
  const { index, session, configs, scheduler } = deps;
  let changed = false;
  for (const change of params.changes) {
    const file = uriToFile(change.uri);
    if (!file) continue;
    if (file.endsWith('pyproject.toml')) {
      configs.invalidate();
      session.invalidate();
      changed = true;
    } else if (file.endsWith('.py')) {
      // An open document's model comes from its text; its disk copy is read again when it closes.
      if (session.isOpenFile(file)) continue;
      if (change.type === FileChangeType.Deleted) index.remove(file);
      else await index.update(file);
      changed = true;
    }
  }
  if (!changed) return;
  session.indexChanged();
  scheduler.refreshAll();
}
