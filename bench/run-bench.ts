// `npm run bench`: pgdest against the script users write today, over a fleet
// of destinations behind one real OpenSSH bastion, at 0 and 50 ms round
// trip; the start-up floor of a pgdest process; and validating large
// configs. Prints markdown tables and writes them, with every sample, to
// bench/results/.
//
//   npm run bench                            the full run (about a quarter of an hour)
//   npm run bench -- --quick                 one repetition of the small cases, to try it
//   npm run bench -- --only 100:25,1000:25   only these cases (N:one-way delay)
//   npm run bench -- --pgdest-only           leave the baseline script out
//   npm run bench -- --against REF           also run pgdest as of commit REF, turn about
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle } from '../scripts/build-bundle.ts';
import { describeMachine, type Machine } from './describe-machine.ts';
import { exportBuild } from './export-build.ts';
import { describeFleet, writeFleetConfig } from './fleet.ts';
import { measureProcess } from './measure-process.ts';
import {
  runFleetCase,
  type BuildRuns,
  type FleetCase,
  type FleetCaseResult,
  type PgdestBuild,
  type RunSample,
} from './run-fleet-case.ts';
import { startBenchLab } from './start-bench-lab.ts';
import { formatDuration, formatNumber, renderTable, summarize, type Spread } from './summarize.ts';
import { measureValidation, renderValidation, type ValidationResult } from './validate-config.ts';

const usage = `npm run bench [-- OPTIONS]: pgdest against the ssh -L and psql script, over fleets
behind one real sshd bastion, at 0 and 50 ms round trip. Writes bench/results/latest.md and .json
(partial.* when an option narrows the run).

  --quick                 one repetition of the small cases, to try it
  --only N:DELAY,...      only these cases (destinations:one-way delay in ms), e.g. 100:25
  --pgdest-only           leave the baseline script out
  --against REF           also run pgdest as of commit REF, turn about with this checkout
`;
if (process.argv.includes('--help')) {
  process.stdout.write(usage);
  process.exit(0);
}
const quick = process.argv.includes('--quick');
const pgdestOnly = process.argv.includes('--pgdest-only');
const only = optionValue('--only')
  ?.split(',')
  .map((pair) => pair.split(':').map(Number) as [number, number]);
const against = optionValue('--against');
const partial = quick || pgdestOnly || only !== undefined || against !== undefined;
const warehouses = 10;
const resultsDir = new URL('./results/', import.meta.url).pathname;

/**
 * The cases. The baseline pays the same for each destination whatever N is,
 * so for the big ones it runs on the first destinations only and its time
 * is scaled to N; the sample is bigger at 0 ms, where it is cheap.
 */
function planCases(): FleetCase[] {
  return listCases()
    .filter(
      (c) =>
        only === undefined ||
        only.some(([n, delay]) => c.destinations === n && c.oneWayDelayMs === delay),
    )
    .map((c) => (pgdestOnly ? { ...c, skipBaseline: true } : c));
}

function listCases(): FleetCase[] {
  if (quick) {
    return [
      { destinations: 10, oneWayDelayMs: 25, repetitions: 1, baselineSample: 5, ssl: undefined },
      { destinations: 100, oneWayDelayMs: 25, repetitions: 1, baselineSample: 5, ssl: undefined },
    ];
  }
  const cases: FleetCase[] = [];
  for (const oneWayDelayMs of [0, 25]) {
    for (const destinations of [10, 100, 1000]) {
      cases.push({
        destinations,
        oneWayDelayMs,
        repetitions: destinations >= 1000 ? 3 : 5,
        baselineSample: Math.min(destinations, oneWayDelayMs === 0 ? 50 : 20),
        ssl: undefined,
      });
    }
  }
  // The same fleet without TLS, to show what TLS costs pgdest.
  cases.push({
    destinations: 100,
    oneWayDelayMs: 25,
    repetitions: 5,
    baselineSample: 0,
    ssl: 'disable',
    skipBaseline: true,
  });
  return cases;
}

interface StartupFloor {
  build: string;
  version: Spread;
  versionRssMiB: Spread;
  validate: Spread;
  validateRssMiB: Spread;
}

/**
 * What a pgdest process costs before any network: `--version` (node, tsx and
 * the CLI's modules) and `validate` of the 100-destination config (plus
 * reading and checking the config, as plan does before connecting). Builds
 * take turns.
 */
async function measureStartupFloor(
  builds: readonly PgdestBuild[],
  dir: string,
  env: Record<string, string>,
): Promise<StartupFloor[]> {
  const config = join(dir, 'pgdest.yaml');
  const runs = quick ? 2 : 7;
  const samples = builds.map(() => ({
    version: [] as number[],
    versionRss: [] as number[],
    validate: [] as number[],
    validateRss: [] as number[],
  }));
  for (let run = 0; run < runs; run++) {
    for (const [index, build] of builds.entries()) {
      const options = { cwd: dir, env, memory: true };
      const version = await measureProcess(process.execPath, [build.bin, '--version'], options);
      const validate = await measureProcess(
        process.execPath,
        [build.bin, 'validate', '-c', config],
        options,
      );
      if (version.exitCode !== 0 || validate.exitCode !== 0) {
        throw new Error(`pgdest failed before any network: ${version.stderr}${validate.stderr}`);
      }
      const sample = samples[index]!;
      sample.version.push(version.wallMs);
      sample.versionRss.push(version.peakRssMiB ?? 0);
      sample.validate.push(validate.wallMs);
      sample.validateRss.push(validate.peakRssMiB ?? 0);
    }
  }
  return builds.map((build, index) => ({
    build: build.label,
    version: summarize(samples[index]!.version),
    versionRssMiB: summarize(samples[index]!.versionRss),
    validate: summarize(samples[index]!.validate),
    validateRssMiB: summarize(samples[index]!.validateRss),
  }));
}

async function main(): Promise<void> {
  const started = performance.now();
  const log = (line: string) =>
    console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  // pgdest as npm ci leaves it: the bundle, built from this checkout's sources.
  await buildBundle();
  const machine = await describeMachine();
  const work = await mkdtemp(join(tmpdir(), 'pgdest-bench-'));
  const builds: PgdestBuild[] = [
    { label: 'this', bin: new URL('../bin/pgdest.js', import.meta.url).pathname },
  ];
  if (against !== undefined) builds.push(await exportBuild(against, join(work, 'against')));
  const bench = await startBenchLab({ warehouses, tls: true });
  try {
    // The start-up floor, on the 100-destination config; the first run of
    // each build fills its caches, so it is not timed.
    const floorDir = join(work, 'floor');
    await mkdir(floorDir);
    const floorFleet = describeFleet(100, bench.warehouses);
    await writeFleetConfig(bench, floorFleet, join(floorDir, 'pgdest.yaml'), undefined);
    const env = { ...(process.env as Record<string, string>), ...bench.environment, NO_COLOR: '1' };
    for (const build of builds) {
      await measureProcess(process.execPath, [build.bin, '--version'], { cwd: floorDir, env });
    }
    log(`start-up floor of ${builds.map((b) => b.label).join(' and ')}`);
    const floors = await measureStartupFloor(builds, floorDir, env);

    const results: FleetCaseResult[] = [];
    for (const fleetCase of planCases()) {
      log(
        `${fleetCase.destinations} destinations, ${2 * fleetCase.oneWayDelayMs} ms round trip, ssl ${fleetCase.ssl ?? 'prefer (default)'}, ${fleetCase.repetitions} repetitions`,
      );
      const dir = join(
        work,
        `${fleetCase.destinations}-${fleetCase.oneWayDelayMs}-${fleetCase.ssl ?? 'default'}`,
      );
      results.push(await runFleetCase(bench, fleetCase, builds, dir, log));
    }

    log('validating large configs');
    const validation = await measureValidation(partial ? [1000] : [1000, 10000], {
      loader: quick ? 2 : 5,
      command: quick ? 1 : 5,
    });

    const report = renderReport(machine, floors, results, validation, performance.now() - started);
    console.log(report);
    await mkdir(resultsDir, { recursive: true });
    const name = partial ? 'partial' : 'latest';
    await writeFile(join(resultsDir, `${name}.md`), `${report}\n`);
    await writeFile(
      join(resultsDir, `${name}.json`),
      `${JSON.stringify({ machine, builds, floors, results, validation }, null, 2)}\n`,
    );
    log(`wrote bench/results/${name}.md and ${name}.json`);
  } finally {
    await bench.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function renderReport(
  machine: Machine,
  floors: readonly StartupFloor[],
  results: readonly FleetCaseResult[],
  validation: readonly ValidationResult[],
  totalMs: number,
): string {
  const several = floors.length > 1;
  const lines = [
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB.toFixed(1)} GiB; Node ${machine.node}; Linux ${machine.kernel}; ${machine.openssh}; ${machine.postgres}; ${machine.psql}.`,
    `Date: ${machine.date}. The whole run took ${(totalMs / 60000).toFixed(1)} min.`,
    '',
    '### Start-up floor (no network)',
    '',
    renderTable(
      [...(several ? ['build'] : []), 'command', 'wall time', 'peak RSS'],
      floors.flatMap((floor) => [
        [
          ...(several ? [floor.build] : []),
          '`pgdest --version`',
          formatDuration(floor.version),
          `${formatNumber(floor.versionRssMiB)} MiB`,
        ],
        [
          ...(several ? [floor.build] : []),
          '`pgdest validate` (100 destinations)',
          formatDuration(floor.validate),
          `${formatNumber(floor.validateRssMiB)} MiB`,
        ],
      ]),
    ),
    '',
    '### pgdest against the baseline script',
    '',
    renderTable(
      [
        'destinations',
        'RTT',
        'ssl',
        ...(several ? ['build'] : []),
        '`pgdest plan`',
        'plan in RTT (beyond start-up)',
        '`pgdest apply`',
        'apply in RTT (beyond start-up)',
        'peak RSS plan / apply',
        'SSH connections',
        'database logins',
        'baseline check',
        'baseline create',
        'plan vs check',
        'apply vs create',
      ],
      results.flatMap((result) =>
        result.pgdest.map((runs, index) => renderCase(result, runs, floors[index]!, several)),
      ),
    ),
    '',
    'Medians of the repetitions, with the minimum and maximum in brackets. RTT columns divide the wall time by the round-trip time; "beyond start-up" first subtracts the median `pgdest validate` time above. SSH connections and database logins are counted by sshd and PostgreSQL per run (pgdest plan / apply). Baseline times marked * ran on the first destinations only and are scaled linearly to all of them.',
    '',
    '### Validating a large configuration (offline)',
    '',
    renderValidation(validation),
  ];
  return lines.join('\n');
}

function renderCase(
  result: FleetCaseResult,
  runs: BuildRuns,
  floor: StartupFloor,
  several: boolean,
): string[] {
  const { destinations, oneWayDelayMs, baselineSample, ssl, skipBaseline } = result.case;
  const rtt = 2 * oneWayDelayMs;
  const wall = (samples: RunSample[]) => summarize(samples.map((s) => s.wallMs));
  const plan = wall(runs.plan);
  const apply = wall(runs.apply);
  const inRtt = (spread: Spread) =>
    rtt === 0
      ? '-'
      : `${(spread.median / rtt).toFixed(1)} (${((spread.median - floor.validate.median) / rtt).toFixed(1)})`;
  const rss = (samples: RunSample[]) =>
    formatNumber(summarize(samples.map((s) => s.peakRssMiB ?? 0)));
  const count = (samples: RunSample[], key: 'sshConnections' | 'databaseLogins') =>
    formatNumber(summarize(samples.map((s) => s[key])));

  let baseline = ['-', '-', '-', '-'];
  if (!skipBaseline) {
    const scale = destinations / baselineSample;
    const mark = scale === 1 ? '' : '*';
    const check = scaleSpread(wall(result.baselineCheck), scale);
    const create = scaleSpread(wall(result.baselineCreate), scale);
    baseline = [
      `${formatDuration(check)}${mark}`,
      `${formatDuration(create)}${mark}`,
      `${(check.median / plan.median).toFixed(0)}x`,
      `${(create.median / apply.median).toFixed(0)}x`,
    ];
  }
  return [
    String(destinations),
    `${rtt} ms`,
    ssl ?? 'prefer',
    ...(several ? [runs.build] : []),
    formatDuration(plan),
    inRtt(plan),
    formatDuration(apply),
    inRtt(apply),
    `${rss(runs.plan)} / ${rss(runs.apply)} MiB`,
    `${count(runs.plan, 'sshConnections')} / ${count(runs.apply, 'sshConnections')}`,
    `${count(runs.plan, 'databaseLogins')} / ${count(runs.apply, 'databaseLogins')}`,
    ...baseline,
  ];
}

function scaleSpread(spread: Spread, factor: number): Spread {
  return {
    ...spread,
    median: spread.median * factor,
    min: spread.min * factor,
    max: spread.max * factor,
  };
}

function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

await main();
