import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildBundle } from '../../scripts/build-bundle.ts';
import { runCli } from '../support/run-cli.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const temporary: string[] = [];

afterEach(async () => {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the bundle built by npm run build', () => {
  it('answers as the TypeScript sources do', async () => {
    // Two folders below the root, as dist/cli/ is.
    const dir = await mkdtemp(join(root, '.bundle-test-'));
    temporary.push(dir);
    const bundle = join(dir, 'cli', 'pgdest.mjs');
    await buildBundle(bundle);
    const example = join(root, 'examples', 'one-bastion.yaml');

    for (const args of [
      ['--version'],
      ['--help'],
      ['validate', '--format', 'json', '-c', example],
    ]) {
      const fromBundle = await run(process.execPath, [bundle, ...args], {
        cwd: root,
        env: { ...process.env, NO_COLOR: '1' },
      });
      const fromSources = await runCli(args, { cwd: root, env: { NO_COLOR: '1' } });
      expect(fromSources.code).toBe(0);
      expect(fromBundle.stdout).toBe(fromSources.stdout);
    }
  });
});

describe('bin/pgdest.js', () => {
  /** A copy of the bin beside a bundle and sources that each say which one ran. */
  async function fakeProject() {
    const dir = await mkdtemp(join(tmpdir(), 'pgdest-bin-test-'));
    temporary.push(dir);
    await mkdir(join(dir, 'bin'));
    await cp(join(root, 'bin', 'pgdest.js'), join(dir, 'bin', 'pgdest.js'));
    await writeFile(join(dir, 'package.json'), '{"type": "module"}\n');
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
    await mkdir(join(dir, 'src', 'cli'), { recursive: true });
    await mkdir(join(dir, 'schemas'));
    await writeFile(join(dir, 'src', 'cli', 'run-cli.ts'), "console.log('sources');\n");
    await writeFile(join(dir, 'schemas', 'pgdest.schema.json'), '{}\n');
    await mkdir(join(dir, 'dist', 'cli'), { recursive: true });
    await writeFile(join(dir, 'dist', 'cli', 'pgdest.mjs'), "console.log('bundle');\n");
    const age = async (path: string, secondsAgo: number) => {
      const when = new Date(Date.now() - secondsAgo * 1000);
      await utimes(join(dir, path), when, when);
    };
    for (const path of ['package.json', 'src/cli/run-cli.ts', 'schemas/pgdest.schema.json']) {
      await age(path, 60);
    }
    const which = async () =>
      (await run(process.execPath, [join(dir, 'bin', 'pgdest.js')])).stdout.trim();
    return { dir, age, which };
  }

  it('runs the bundle when it is newer than every source', async () => {
    const project = await fakeProject();
    expect(await project.which()).toBe('bundle');
  });

  it('runs the sources through tsx when one of them changed after the bundle was built', async () => {
    const project = await fakeProject();
    await project.age('src/cli/run-cli.ts', 0);
    await project.age('dist/cli/pgdest.mjs', 30);
    expect(await project.which()).toBe('sources');

    await project.age('src/cli/run-cli.ts', 60);
    await project.age('schemas/pgdest.schema.json', 0);
    expect(await project.which()).toBe('sources');
  });

  it('runs the sources through tsx when there is no bundle', async () => {
    const project = await fakeProject();
    await rm(join(project.dir, 'dist'), { recursive: true });
    expect(await project.which()).toBe('sources');
  });
});
