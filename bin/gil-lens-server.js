#!/usr/bin/env node
// Entry point for `gil-lens-server --stdio`: runs the bundled language server.
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'server.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('gil-lens-server: dist/server.js is missing; run "npm run build" first\n');
  process.exit(2);
}
require(bundle);
