// An earlier commit of pgdest, exported beside this checkout, so that the
// bench can run it turn about with this one.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgdestBuild } from './run-fleet-case.ts';

const root = new URL('..', import.meta.url).pathname;

/**
 * Writes the files of commit `ref` into `dir` (git archive: nothing in the
 * repository changes), links this checkout's node_modules there, so the
 * dependencies are the same, and builds its bundle if it has one. Labels it
 * with the ref and its short hash.
 */
export async function exportBuild(ref: string, dir: string): Promise<PgdestBuild> {
  const git = (args: string[], options = {}) =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', ...options });
  const commit = git(['rev-parse', '--short', `${ref}^{commit}`]).trim();
  await mkdir(dir, { recursive: true });
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', root, commit, dir]);
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  // Built as npm ci would, when that commit has a bundle.
  if (existsSync(join(dir, 'scripts', 'build-bundle.ts'))) {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-bundle.ts'], { cwd: dir });
  }
  return {
    label: ref === commit ? commit : `${ref} (${commit})`,
    bin: join(dir, 'bin', 'pgdest.js'),
  };
}
