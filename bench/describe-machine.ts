// What the benchmark ran on, for the results to be read against.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { findPostgres } from '../test/support/find-postgres.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  openssh: string;
  postgres: string;
  psql: string;
  date: string;
}

export async function describeMachine(): Promise<Machine> {
  const cpuInfo = readFileSync('/proc/cpuinfo', 'utf8');
  const binaries = await findPostgres();
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    kernel: release(),
    openssh: versionOf('ssh', ['-V']),
    postgres: versionOf(binaries.postgres, ['--version']),
    psql: versionOf('psql', ['--version']),
    date: new Date().toISOString(),
  };
}

function versionOf(command: string, args: string[]): string {
  // ssh -V writes to standard error, the others to standard output.
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || 'unknown';
}
