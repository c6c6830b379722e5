// One case of the fleet benchmark: N destinations at one delay. pgdest
// (apply, then plan) and the baseline script (create, then check) take turns,
// A B A B, so that whatever else the machine does hits both alike. Two builds
// of pgdest (this one and an earlier commit) can take turns the same way.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeFleet,
  dropFleetSchemas,
  writeFleetConfig,
  writeFleetTable,
  type FleetDestination,
  type SslMode,
} from './fleet.ts';
import { measureProcess, type Measurement } from './measure-process.ts';
import type { BenchLab } from './start-bench-lab.ts';

export interface FleetCase {
  destinations: number;
  /** Added to each direction between the client and the bastion. */
  oneWayDelayMs: number;
  repetitions: number;
  /** How many destinations the baseline runs; its time is scaled to all of them. */
  baselineSample: number;
  /** The destinations' ssl setting; undefined leaves pgdest's default (prefer). */
  ssl: SslMode | undefined;
  /** Leave the baseline out (for variants of pgdest's own settings). */
  skipBaseline?: boolean;
}

/** One measured run of one command. */
export interface RunSample {
  wallMs: number;
  peakRssMiB?: number;
  /** TCP connections sshd accepted during the run. */
  sshConnections: number;
  /** Logins PostgreSQL authorized during the run. */
  databaseLogins: number;
}

/** A pgdest to run: this checkout's, or an earlier commit's exported beside it. */
export interface PgdestBuild {
  label: string;
  /** Its bin/pgdest.js. */
  bin: string;
}

/** What one build of pgdest measured in a case. */
export interface BuildRuns {
  build: string;
  apply: RunSample[];
  plan: RunSample[];
}

export interface FleetCaseResult {
  case: FleetCase;
  /** One entry per build, in the order given. */
  pgdest: BuildRuns[];
  /** The baseline over its sample, as measured (not scaled). */
  baselineCreate: RunSample[];
  baselineCheck: RunSample[];
}

const baselineScript = new URL('./baseline.sh', import.meta.url).pathname;

/**
 * Runs one case in `workDir`: writes the fleet's config and the baseline's
 * table, sets the proxy's delay, and repeats: reset (no schema, no state)
 * and pgdest apply (creates every schema), for each build; the baseline
 * creating its sample's schemas (dropped just before); pgdest plan (finds
 * nothing to change), for each build; the baseline checking its sample.
 * Each build keeps its state in a folder of its own. Each run must succeed,
 * or the case fails.
 */
export async function runFleetCase(
  bench: BenchLab,
  fleetCase: FleetCase,
  builds: readonly PgdestBuild[],
  workDir: string,
  log: (line: string) => void,
): Promise<FleetCaseResult> {
  const fleet = describeFleet(fleetCase.destinations, bench.warehouses);
  const sample = fleet.slice(0, fleetCase.baselineSample);
  await mkdir(workDir, { recursive: true });
  const configPath = join(workDir, 'pgdest.yaml');
  const tablePath = join(workDir, 'baseline.tsv');
  await writeFleetConfig(bench, fleet, configPath, fleetCase.ssl);
  await writeFleetTable(bench, sample, tablePath);
  bench.proxy.setDelay(fleetCase.oneWayDelayMs);

  const env = {
    ...process.env,
    ...bench.environment,
    NO_COLOR: '1',
    BASTION_HOST: bench.proxy.host,
    BASTION_PORT: String(bench.proxy.port),
    BASTION_USER: bench.lab.sshd.user,
    BASTION_KEY: bench.lab.clientKey.path,
    BASTION_KNOWN_HOSTS: bench.knownHostsPath,
  };
  const buildDir = (build: PgdestBuild) => join(workDir, `state-${build.label}`);
  for (const build of builds) await mkdir(buildDir(build), { recursive: true });
  const pgdest = (build: PgdestBuild, args: string[]) =>
    counted(bench, () =>
      measureProcess(process.execPath, [build.bin, ...args, '-c', configPath], {
        cwd: buildDir(build),
        env,
        memory: true,
      }),
    );
  const baseline = (mode: 'create' | 'check') =>
    counted(bench, () =>
      measureProcess('bash', [baselineScript, mode, tablePath], { cwd: workDir, env }),
    );

  const result: FleetCaseResult = {
    case: fleetCase,
    pgdest: builds.map((build) => ({ build: build.label, apply: [], plan: [] })),
    baselineCreate: [],
    baselineCheck: [],
  };
  for (let repetition = 1; repetition <= fleetCase.repetitions; repetition++) {
    // A: the first apply, from no schema and no state.
    for (const [index, build] of builds.entries()) {
      await dropFleetSchemas(bench, fleet);
      await rm(join(buildDir(build), '.pgdest'), { recursive: true, force: true });
      const apply = await pgdest(build, ['apply', '--auto-approve']);
      expectSuccess(`pgdest apply (${build.label})`, apply.measurement, 0);
      await expectSchemas(bench, fleet);
      result.pgdest[index]!.apply.push(apply.sample);
    }

    // B: the baseline creates its sample's schemas again.
    if (!fleetCase.skipBaseline) {
      await dropFleetSchemas(bench, sample);
      const create = await baseline('create');
      expectSuccess('baseline create', create.measurement, 0);
      await expectSchemas(bench, fleet);
      result.baselineCreate.push(create.sample);
    }

    // A: a plan after the apply has nothing to change: exit 0, not 2.
    for (const [index, build] of builds.entries()) {
      const plan = await pgdest(build, ['plan', '--detailed-exitcode']);
      expectSuccess(`pgdest plan --detailed-exitcode (${build.label})`, plan.measurement, 0);
      result.pgdest[index]!.plan.push(plan.sample);
    }

    // B: the baseline checks its sample.
    if (!fleetCase.skipBaseline) {
      const check = await baseline('check');
      expectSuccess('baseline check', check.measurement, 0);
      result.baselineCheck.push(check.sample);
    }
    const pgdestLine = result.pgdest
      .map(
        (runs) => `${runs.build}: apply ${ms(runs.apply.at(-1)!)}, plan ${ms(runs.plan.at(-1)!)}`,
      )
      .join('; ');
    const baselineLine = fleetCase.skipBaseline
      ? ''
      : `; baseline create ${ms(result.baselineCreate.at(-1)!)} and check ${ms(result.baselineCheck.at(-1)!)} for ${sample.length}`;
    log(`  ${repetition}/${fleetCase.repetitions}: ${pgdestLine}${baselineLine}`);
  }
  return result;
}

/** Runs `work`, and counts what sshd and PostgreSQL saw meanwhile. */
async function counted(
  bench: BenchLab,
  work: () => Promise<Measurement>,
): Promise<{ measurement: Measurement; sample: RunSample }> {
  const [connections, logins] = [
    await bench.lab.sshd.countConnections(),
    await bench.countLogins(),
  ];
  const measurement = await work();
  return {
    measurement,
    sample: {
      wallMs: measurement.wallMs,
      peakRssMiB: measurement.peakRssMiB,
      sshConnections: (await bench.lab.sshd.countConnections()) - connections,
      databaseLogins: (await bench.countLogins()) - logins,
    },
  };
}

function expectSuccess(what: string, measurement: Measurement, code: number): void {
  if (measurement.exitCode === code) return;
  const tail = (text: string) => text.split('\n').slice(-40).join('\n');
  throw new Error(
    `${what} exited ${measurement.exitCode}, expected ${code}\n--- stdout\n${tail(measurement.stdout)}\n--- stderr\n${tail(measurement.stderr)}`,
  );
}

/** Every schema of the fleet exists: the apply (or the baseline) did its job. */
async function expectSchemas(bench: BenchLab, fleet: readonly FleetDestination[]): Promise<void> {
  let found = 0;
  for (const warehouse of bench.warehouses) {
    const schemas = fleet.filter((d) => d.warehouse === warehouse).map((d) => d.schema);
    if (schemas.length === 0) continue;
    const result = await bench.lab.postgres.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM pg_namespace WHERE nspname = ANY($1)',
      [schemas],
      warehouse.database,
    );
    found += result.rows[0]!.count;
  }
  if (found !== fleet.length) {
    throw new Error(`expected ${fleet.length} schemas after the run, found ${found}`);
  }
}

const ms = (sample: RunSample): string => `${(sample.wallMs / 1000).toFixed(2)} s`;
