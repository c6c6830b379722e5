// Times `pgdest validate` on generated configs of many destinations behind a
// few bastions: the loader (YAML with positions, schema, rules, model) in
// this process, and the whole command as a subprocess, start-up included.
// `npm run bench` runs it too and reports it in BENCHMARKS.md.
//
//   npx tsx bench/validate-config.ts [N ...]      (default: 1000 5000 10000)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig, systemEnvironment } from '../src/config/load-config.ts';
import { measureProcess } from './measure-process.ts';
import { formatDuration, formatNumber, renderTable, summarize, type Spread } from './summarize.ts';

export function generateConfig(destinations: number, bastions = 10): string {
  const lines = ['version: 1', 'bastions:'];
  for (let b = 0; b < bastions; b++) {
    lines.push(
      `  bastion-${b}:`,
      `    host: bastion-${b}.example.com`,
      '    user: tunnel',
      '    private_key: ${env:BASTION_PEM}',
      '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
    );
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

/** How long validating a config of `destinations` took, in this process and as a command. */
export interface ValidationResult {
  destinations: number;
  fileKiB: number;
  loaderMs: Spread;
  commandMs: Spread;
  commandPeakRssMiB: Spread;
}

/**
 * Loads each generated config `loaderRuns` times in this process (warm: the
 * modules and the schema's validator are ready), then runs `pgdest validate`
 * on it `commandRuns` times as a subprocess, which is what a user waits for:
 * start-up, loading and validating.
 */
export async function measureValidation(
  sizes: readonly number[],
  runs: { loader: number; command: number } = { loader: 5, command: 3 },
): Promise<ValidationResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pgdest-bench-validate-'));
  const env = { ...process.env, BASTION_PEM: 'k', WAREHOUSE_PASSWORD: 'p' };
  const bin = new URL('../bin/pgdest.js', import.meta.url).pathname;
  const results: ValidationResult[] = [];
  try {
    for (const n of sizes) {
      const file = join(dir, `pgdest-${n}.yaml`);
      const text = generateConfig(n);
      await writeFile(file, text);

      const loader: number[] = [];
      for (let run = 0; run < runs.loader; run++) {
        const start = performance.now();
        const result = loadConfig(file, { mode: 'offline', environment: systemEnvironment(env) });
        loader.push(performance.now() - start);
        if (!result.config) {
          throw new Error(`the generated config is invalid: ${result.diagnostics[0]?.summary}`);
        }
      }

      const command: number[] = [];
      const rss: number[] = [];
      for (let run = 0; run < runs.command; run++) {
        const measured = await measureProcess(process.execPath, [bin, 'validate', '-c', file], {
          cwd: dir,
          env,
          memory: true,
        });
        if (measured.exitCode !== 0) {
          throw new Error(`pgdest validate exited ${measured.exitCode}: ${measured.stderr}`);
        }
        command.push(measured.wallMs);
        if (measured.peakRssMiB !== undefined) rss.push(measured.peakRssMiB);
      }
      results.push({
        destinations: n,
        fileKiB: text.length / 1024,
        loaderMs: summarize(loader),
        commandMs: summarize(command),
        commandPeakRssMiB: summarize(rss.length > 0 ? rss : [0]),
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

/** The results as a markdown table. */
export function renderValidation(results: readonly ValidationResult[]): string {
  return renderTable(
    ['destinations', 'file', 'loader, in process', '`pgdest validate`, subprocess', 'peak RSS'],
    results.map((r) => [
      String(r.destinations),
      `${r.fileKiB.toFixed(0)} KiB`,
      formatDuration(r.loaderMs),
      formatDuration(r.commandMs),
      `${formatNumber(r.commandPeakRssMiB)} MiB`,
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number);
  const results = await measureValidation(sizes.length > 0 ? sizes : [1000, 5000, 10000]);
  console.log(renderValidation(results));
}
