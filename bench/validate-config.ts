// Times `pgdest validate` on generated configs of many destinations behind a
// few bastions: the loader (YAML with positions, schema, rules, model) in
// this process, and the whole command as a subprocess, start-up included.
//
//   npx tsx bench/validate-config.ts [N ...]      (default: 1000 5000 10000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, systemEnvironment } from '../src/config/load-config.ts';

export function generateConfig(destinations: number, bastions = 10): string {
  const lines = ['version: 1', 'bastions:'];
  for (let b = 0; b < bastions; b++) {
    lines.push(`  bastion-${b}:`, `    host: bastion-${b}.example.com`, '    user: tunnel', '    private_key: ${env:BASTION_PEM}', '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z');
  }
  lines.push('destinations:');
  for (let d = 0; d < destinations; d++) {
    lines.push(
      `  dest-${d}:`,
      `    bastion: bastion-${d % bastions}`,
      '    database:',
      `      host: 10.0.${Math.floor(d / 250) % 250}.${d % 250}`,
      `      name: db_${d % 50}`,
      `      user: loader_${d}`,
      '      password: ${env:WAREHOUSE_PASSWORD}',
      `    schema: schema_${d}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
function main() {
const sizes = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'pgdest-bench-validate-'));
const env = { ...process.env, BASTION_PEM: 'k', WAREHOUSE_PASSWORD: 'p' };
const bin = new URL('../bin/pgdest.js', import.meta.url).pathname;
try {
  console.log('| destinations | file size | loader (median of 5) | `pgdest validate` subprocess (median of 3) |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const n of sizes.length ? sizes : [1000, 5000, 10000]) {
    const file = join(dir, `pgdest-${n}.yaml`);
    const text = generateConfig(n);
    writeFileSync(file, text);
    const inProcess: number[] = [];
    for (let run = 0; run < 5; run++) {
      const start = performance.now();
      const result = loadConfig(file, { mode: 'offline', environment: systemEnvironment(env) });
      inProcess.push(performance.now() - start);
      if (!result.config) throw new Error(`the generated config is invalid: ${result.diagnostics[0]?.summary}`);
    }
    const subprocess: number[] = [];
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      execFileSync(process.execPath, [bin, 'validate', '-c', file], { env, stdio: 'ignore' });
      subprocess.push(performance.now() - start);
    }
    console.log(`| ${n} | ${(text.length / 1024).toFixed(0)} KiB | ${median(inProcess).toFixed(0)} ms | ${median(subprocess).toFixed(0)} ms |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
}
