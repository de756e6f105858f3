/**
 * Configuration shared by the CLI and the language server: the pure
 * pyproject.toml reader, the file discovery around it, and the limits every
 * edge applies when it reads Python files.
 */
export { type ConfigResult, configFromPyproject, configFromTable } from './configFromPyproject';
export { MAX_FILE_BYTES, MAX_FILE_SIZE_TEXT } from './limits';
export {
  ConfigFileError,
  commonDirectory,
  describeError,
  discoverConfig,
  findPyproject,
  type LoadedConfig,
  loadConfigFile,
} from './loadConfig';
