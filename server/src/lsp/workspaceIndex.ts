/**
 * The workspace index: a model of every Python file in the workspace that is
 * not open in the editor, so a finding in one file can depend on a function
 * defined in another. Open documents are modelled from their live text by the
 * session; this index holds what is on disk.
 *
 * It is built in the background after start-up, on worker threads when the
 * worker bundle is next to this one (files/modelPool.ts, one parser each, all
 * cores by default): they read and model the files while the main thread stays
 * free for the editor's requests and only takes the models in. Models enter
 * the index in file order however the workers finish, so the index is the same
 * as a build on one thread. Without workers (running from sources, or after a
 * worker failed) each file is read with the asynchronous fs API, so requests
 * are served between files. Either way the caller hears about progress.
 * File-watching events then update one file at a time. Only models are kept,
 * never trees: a tree is freed as soon as its model is extracted
 * (engine.modelOf), which keeps memory flat on large workspaces.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { modelOf } from '../engine';
import { isSkipped, type ModelOutcome, type ModelRequest } from '../files/modelFile';
import { defaultJobs, findWorkerScript, modelFiles } from '../files/modelPool';
import { importRoot, moduleNameFor } from '../files/moduleName';
import { decodeSource } from '../files/readSource';
import { collectPythonFiles, type PythonFile } from '../files/walk';
import type { ModuleModel } from '../model/types';
import type { Syntax } from '../syntax/parser';

export interface IndexOptions {
  maxFileSize: () => number;
  /** The index holds at most this many files (`gil-lens.maxIndexedFiles`); by default, no limit. */
  maxFiles?: () => number;
  /** Files open in the editor are modelled from their text, not from disk. */
  isOpen: (file: string) => boolean;
  log: (message: string) => void;
  /** Worker threads for the build; all cores by default, and 0 builds on the main thread. */
  jobs?: number;
  /** The worker bundle; by default modelWorker.js next to the running bundle. */
  workerScript?: string;
}

/** Fewer files than this are modelled on the main thread: a worker's start-up would cost more than it saves. */
const MIN_FILES_FOR_WORKERS = 16;

export class WorkspaceIndex {
  readonly models = new Map<string, ModuleModel>();
  /** The Python files the last build found beyond the limit, and did not index. */
  leftOut = 0;
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
    const found = existing.length > 0 ? collectPythonFiles(existing) : { files: [], problems: [] };
    for (const problem of found.problems) this.options.log(`index: cannot list ${problem.path}: ${problem.reason}`);
    // Past the limit, the files that come first in the walk's order are indexed.
    const files = found.files.slice(0, this.limit());
    this.leftOut = found.files.length - files.length;
    if (this.leftOut > 0) {
      this.options.log(
        `index: ${plural(found.files.length, 'Python file')} in the workspace; indexing the first ${files.length} (gil-lens.maxIndexedFiles), so calls into the other ${plural(this.leftOut, 'file')} are not followed.`,
      );
    }
    this.models.clear();
    this.roots.clear();
    const jobs = this.options.jobs ?? defaultJobs();
    const script = this.options.workerScript ?? findWorkerScript();
    if (script && jobs > 0 && files.length >= MIN_FILES_FOR_WORKERS) {
      try {
        return await this.buildOnWorkers(id, files, progress, { jobs, script });
      } catch (error) {
        this.options.log(`index: worker threads failed, indexing on one thread: ${describe(error)}`);
      }
    }
    for (let i = 0; i < files.length; i++) {
      if (id !== this.buildId) return false;
      if (!this.options.isOpen(files[i].absPath)) await this.update(files[i].absPath);
      progress(i + 1, files.length);
    }
    return id === this.buildId;
  }

  /**
   * Model the files that are not open on worker threads. A model enters the
   * index once every file before it has, so the index keeps file order; a file
   * opened meanwhile is left to the session.
   */
  private async buildOnWorkers(
    id: number,
    files: PythonFile[],
    progress: (done: number, total: number) => void,
    pool: { jobs: number; script: string },
  ): Promise<boolean> {
    const superseded = () => id !== this.buildId;
    const maxBytes = this.options.maxFileSize();
    const requests: ModelRequest[] = files
      .filter((file) => !this.options.isOpen(file.absPath))
      .map((file) => ({
        absPath: file.absPath,
        displayPath: file.absPath,
        moduleName: this.moduleName(file.absPath),
        maxBytes,
      }));
    const arrived: (ModelOutcome | undefined)[] = new Array(requests.length);
    let next = 0;
    let done = files.length - requests.length;
    const onOutcome = (index: number, outcome: ModelOutcome) => {
      if (superseded()) return;
      arrived[index] = outcome;
      for (; next < requests.length && arrived[next] !== undefined; next++) {
        this.admit(requests[next].absPath, arrived[next] as ModelOutcome);
        arrived[next] = undefined;
      }
      progress(++done, files.length);
    };
    await modelFiles(this.syntax, requests, {
      ...pool,
      workersOnly: true,
      lines: 'packed',
      onOutcome,
      cancelled: superseded,
    });
    return !superseded();
  }

  private admit(file: string, outcome: ModelOutcome): void {
    if (isSkipped(outcome)) {
      // A file deleted or locked since the walk is simply not indexed, as on the main thread.
      if (!outcome.unreadable) this.options.log(`index: ${file}: ${outcome.reason}`);
    } else if (!this.options.isOpen(file)) {
      this.models.set(file, outcome);
    }
  }

  /**
   * Read one file from disk and replace its model; a file that cannot be read is dropped. A file the
   * index does not hold yet is added only below the limit.
   */
  async update(file: string): Promise<void> {
    if (!this.models.has(file) && this.models.size >= this.limit()) return;
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

  private limit(): number {
    return this.options.maxFiles?.() ?? Number.POSITIVE_INFINITY;
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

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
