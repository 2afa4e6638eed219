// Merges every package's benchmark output (results/bench/<package>.json) into
// results/bench.json, with the machine it ran on.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const dir = 'results/bench';
const figures = {};
if (existsSync(dir)) {
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    figures[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  }
}
const out = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
  figures,
};
writeFileSync('results/bench.json', `${JSON.stringify(out, null, 2)}\n`);
console.log(`results/bench.json: ${Object.keys(figures).join(', ') || 'no figures'}`);
