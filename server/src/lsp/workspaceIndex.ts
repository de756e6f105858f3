/**
 * The workspace index: a model of every Python file in the workspace that is
 * not open in the editor, so a finding in one file can depend on a function
 * defined in another. Open documents are modelled from their live text by the
 * session; this index holds what is on disk.
 *
 * It is built in the background after start-up. Each file is read with the
 * asynchronous fs API, so requests from the editor are served between files,
 * and the caller hears about progress. File-watching events then update one
 * file at a time. Only models are kept, never trees: a tree is freed as soon
 * as its model is extracted (engine.modelOf), which keeps memory flat on
 * large workspaces.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { modelOf } from '../engine';
import { importRoot, moduleNameFor } from '../files/moduleName';
import { decodeSource } from '../files/readSource';
import { collectPythonFiles } from '../files/walk';
import type { ModuleModel } from '../model/types';
import type { Syntax } from '../syntax/parser';

export interface IndexOptions {
  maxFileSize: () => number;
  /** Files open in the editor are modelled from their text, not from disk. */
  isOpen: (file: string) => boolean;
  log: (message: string) => void;
}

export class WorkspaceIndex {
  readonly models = new Map<string, ModuleModel>();
  private readonly roots = new Map<string, string>();
  /** Bumped by every build, so an older build still running stops quietly. */
  private buildId = 0;

  constructor(
    private readonly syntax: Syntax,
    private readonly options: IndexOptions,
  ) {}

  /** The dotted module name Python would import this file as (cached per folder). */
  moduleName(file: string): string {
    const dir = path.dirname(file);
    let root = this.roots.get(dir);
    if (root === undefined) {
      root = importRoot(dir);
      this.roots.set(dir, root);
    }
    return moduleNameFor(root, file);
  }

  /**
   * Index every Python file under the folders. Resolves to false when a newer
   * build superseded this one. `progress` is called after each file.
   */
  async build(folders: string[], progress: (done: number, total: number) => void): Promise<boolean> {
    const id = ++this.buildId;
    const existing = folders.filter((folder) => folder.length > 0);
    const { files, problems } = existing.length > 0 ? collectPythonFiles(existing) : { files: [], problems: [] };
    for (const problem of problems) this.options.log(`index: cannot list ${problem.path}: ${problem.reason}`);
    this.models.clear();
    this.roots.clear();
    for (let i = 0; i < files.length; i++) {
      if (id !== this.buildId) return false;
      if (!this.options.isOpen(files[i].absPath)) await this.update(files[i].absPath);
      progress(i + 1, files.length);
    }
    return id === this.buildId;
  }

  /** Read one file from disk and replace its model; a file that cannot be read is dropped. */
  async update(file: string): Promise<void> {
    const text = await this.read(file);
    if (text === undefined) {
      this.models.delete(file);
      return;
    }
    try {
      this.models.set(file, modelOf(this.syntax, { path: file, text, moduleName: this.moduleName(file) }));
    } catch (error) {
      this.options.log(`index: ${file}: ${error instanceof Error ? error.message : String(error)}`);
      this.models.delete(file);
    }
  }

  remove(file: string): void {
    this.models.delete(file);
  }

  private async read(file: string): Promise<string | undefined> {
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) return undefined;
      if (stat.size > this.options.maxFileSize()) {
        this.options.log(`index: ${file} is larger than ${this.options.maxFileSize()} bytes, skipped`);
        return undefined;
      }
      const result = decodeSource(await fs.readFile(file));
      if (!result.ok) this.options.log(`index: ${file}: ${result.reason}`);
      return result.ok ? result.text : undefined;
    } catch {
      // Deleted between the walk and the read, or unreadable: the file simply is not indexed.
      return undefined;
    }
  }
}
