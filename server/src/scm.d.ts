/** Query files are imported as text (`?raw`), by vitest natively and by esbuild through a plugin. */
declare module '*.scm?raw' {
  const source: string;
  export default source;
}
