import fs from 'node:fs';
import path from 'node:path';
import { extractModel } from '../model/extract';
import { initSyntax, modelCaptures, parse } from '../syntax/parser';

function walk(d: string, out: string[]) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) {
      if (!['site-packages', 'test', 'tests', 'idle_test'].includes(e.name)) walk(p, out);
    } else if (e.name.endsWith('.py')) out.push(p);
  }
}
(async () => {
  const syn = await initSyntax();
  const files: string[] = [];
  walk(process.argv[2], files);
  const texts = files.map((f) => fs.readFileSync(f, 'utf8'));
  console.log(files.length, texts.reduce((a, t) => a + t.length, 0) / 1e6, 'MB');
  let t0 = performance.now();
  for (const t of texts) parse(syn, t).delete();
  const parseMs = performance.now() - t0;
  t0 = performance.now();
  let caps = 0;
  for (const t of texts) {
    const tree = parse(syn, t);
    caps += modelCaptures(syn, tree).length;
    tree.delete();
  }
  const capMs = performance.now() - t0;
  t0 = performance.now();
  let calls = 0;
  for (let i = 0; i < texts.length; i++) {
    const tree = parse(syn, texts[i]);
    const m = extractModel(syn, tree, texts[i], files[i]);
    calls += m.calls.length;
    tree.delete();
  }
  const fullMs = performance.now() - t0;
  console.log(
    'parse',
    parseMs.toFixed(0),
    'caps',
    capMs.toFixed(0),
    'full',
    fullMs.toFixed(0),
    (fullMs / parseMs).toFixed(2),
    caps,
    calls,
  );
})();
