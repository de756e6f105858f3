/**
 * pyproject.toml `[tool.gil-lens]` configuration for the files the server
 * analyses, found the way the CLI finds it (config/loadConfig.ts: the nearest
 * pyproject.toml with a gil-lens table, walking up from the file's folder).
 *
 * Lookups are cached per folder because every analysis asks, and dropped
 * wholesale when any pyproject.toml changes on disk: edits to configuration
 * are rare and a fresh walk is cheap. Warnings are logged once per load.
 */
import path from 'node:path';
import { type Config, defaultConfig } from '../analysis/types';
import { findPyproject, loadConfigFile } from '../config';

export interface ProjectConfigs {
  /** The project configuration for a file; files without a path (untitled) get the defaults. */
  forFile(file: string | undefined): Config;
  /** Forget everything, e.g. after a pyproject.toml changed. */
  invalidate(): void;
}

export function createProjectConfigs(log: (message: string) => void): ProjectConfigs {
  const fileByDir = new Map<string, string | null>();
  const configByFile = new Map<string, Config>();

  const load = (file: string): Config => {
    let config = configByFile.get(file);
    if (config) return config;
    try {
      const loaded = loadConfigFile(file);
      for (const warning of loaded.warnings) log(`${file}: ${warning}`);
      config = loaded.config;
    } catch (error) {
      log(`${file}: ${error instanceof Error ? error.message : String(error)}; using the default configuration`);
      config = defaultConfig();
    }
    configByFile.set(file, config);
    return config;
  };

  return {
    forFile(file) {
      if (!file) return defaultConfig();
      const dir = path.dirname(file);
      let found = fileByDir.get(dir);
      if (found === undefined) {
        found = findPyproject(dir) ?? null;
        fileByDir.set(dir, found);
      }
      return found ? load(found) : defaultConfig();
    },
    invalidate() {
      fileByDir.clear();
      configByFile.clear();
    },
  };
}
