import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPostgresBinaries } from '../../../src/demo/find-postgres-binaries.ts';
import { UserError } from '../../../src/diagnostics/diagnostic.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pgdest-find-postgres-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A folder holding stand-ins for the server programs, executable or not. */
async function fakeBindir(path: string, programs: string[], mode = 0o755): Promise<string> {
  await mkdir(path, { recursive: true });
  for (const program of programs) {
    await writeFile(join(path, program), '#!/bin/sh\n');
    await chmod(join(path, program), mode);
  }
  return path;
}

describe('findPostgresBinaries', () => {
  it('takes the first folder on PATH that holds initdb, postgres and pg_ctl', async () => {
    const partial = await fakeBindir(join(dir, 'partial'), ['initdb', 'postgres']);
    const whole = await fakeBindir(join(dir, 'whole'), ['initdb', 'postgres', 'pg_ctl']);
    const found = findPostgresBinaries({ PATH: `${partial}:${whole}` }, join(dir, 'none'));
    expect(found).toEqual({
      bindir: whole,
      initdb: join(whole, 'initdb'),
      postgres: join(whole, 'postgres'),
      pgCtl: join(whole, 'pg_ctl'),
    });
  });

  it('falls back to the newest version under the packages folder, as Debian installs them', async () => {
    const root = join(dir, 'lib');
    await fakeBindir(join(root, '9', 'bin'), ['initdb', 'postgres', 'pg_ctl']);
    await fakeBindir(join(root, '15', 'bin'), ['initdb', 'postgres', 'pg_ctl']);
    await fakeBindir(join(root, '16', 'bin'), ['initdb', 'postgres', 'pg_ctl'], 0o644);
    const found = findPostgresBinaries({ PATH: join(dir, 'empty') }, root);
    expect(found.bindir).toBe(join(root, '15', 'bin'));
  });

  it('says how to install the server programs when none are found', () => {
    let thrown: unknown;
    try {
      findPostgresBinaries({ PATH: join(dir, 'empty') }, join(dir, 'none'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    const [diagnostic] = (thrown as UserError).diagnostics;
    expect(diagnostic?.summary).toBe('PostgreSQL server programs not found');
    expect(diagnostic?.detail).toContain('initdb, postgres and pg_ctl');
    expect(diagnostic?.hint).toContain('sudo apt-get install postgresql');
  });
});
