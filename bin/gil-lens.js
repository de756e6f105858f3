#!/usr/bin/env node
// Entry point for `npx gil-lens`: runs the bundled CLI (build it with `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('gil-lens: dist/cli.js is missing; run "npm run build" first\n');
  process.exit(2);
}
require(bundle);
