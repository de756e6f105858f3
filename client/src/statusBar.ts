/**
 * The status bar item: one glance says whether the gil-lens server is
 * starting, indexing (with a count), ready or stopped. Clicking it opens the
 * output channel, where the server's log lines go. The item is fed from two
 * sources, the language client's state and the server's `gil-lens/status`
 * notification, and renders whichever is most recent.
 */
import * as vscode from 'vscode';
import type { StatusParams } from '../../server/src/protocol';

export type ServerState = 'starting' | 'running' | 'stopped';

export interface StatusBar extends vscode.Disposable {
  setServerState(state: ServerState): void;
  setIndexStatus(status: StatusParams): void;
}

export function statusText(server: ServerState, index?: StatusParams): { text: string; tooltip: string } {
  if (server === 'stopped')
    return { text: '$(error) gil-lens', tooltip: 'gil-lens: the server stopped; see the output' };
  if (server === 'starting') return { text: '$(sync~spin) gil-lens', tooltip: 'gil-lens: starting' };
  if (index?.state === 'indexing') {
    const count = index.total ? ` ${index.done ?? 0}/${index.total}` : '';
    return { text: `$(sync~spin) gil-lens: indexing${count}`, tooltip: 'gil-lens: indexing the workspace' };
  }
  if (index?.leftOut)
    return {
      text: '$(check) gil-lens',
      tooltip: `gil-lens: ready; ${index.leftOut} Python files are beyond gil-lens.maxIndexedFiles and not indexed`,
    };
  return { text: '$(check) gil-lens', tooltip: 'gil-lens: ready' };
}

export function createStatusBar(showOutputCommand: string): StatusBar {
  const item = vscode.window.createStatusBarItem('gil-lens.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'gil-lens';
  item.command = showOutputCommand;
  let server: ServerState = 'starting';
  let index: StatusParams | undefined;
  const render = () => {
    const { text, tooltip } = statusText(server, index);
    item.text = text;
    item.tooltip = tooltip;
  };
  render();
  item.show();
  return {
    setServerState(state) {
      server = state;
      if (state !== 'running') index = undefined;
      render();
    },
    setIndexStatus(status) {
      index = status;
      render();
    },
    dispose: () => item.dispose(),
  };
}
