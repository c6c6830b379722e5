import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeLabConfig } from '../support/lab-config.ts';
import { runCli } from '../support/run-cli.ts';
import { startLab, type Lab } from '../support/start-lab.ts';

const root = new URL('../../', import.meta.url).pathname;
const pgdest = `${process.execPath} ${join(root, 'bin/pgdest.js')}`;
const env = { LOADER_PASSWORD: 'ci-example-password' };
let lab: Lab;
let dir: string;

/** The drift job's shell commands, with `npx pgdest` as this checkout's pgdest. */
async function driftCommands(): Promise<{ github: string; gitlab: string[] }> {
  const github = parse(await readFile(join(root, 'examples/ci/github-actions.yml'), 'utf8'));
  const gitlab = parse(await readFile(join(root, 'examples/ci/gitlab-ci.yml'), 'utf8'));
  const step = github.jobs.drift.steps.find((s: { id?: string }) => s.id === 'drift');
  const local = (line: string) => line.replaceAll('npx pgdest', pgdest);
  return {
    github: local(step.run),
    gitlab: (gitlab['pgdest-drift'].script as string[]).map(local),
  };
}

/** Runs the GitHub step as Actions would (bash -e) and returns the exit code it records. */
async function runGithubStep(script: string): Promise<string> {
  const output = join(dir, `github-output-${Date.now()}`);
  await promisify(execFile)('bash', ['-e', '-c', script], {
    cwd: dir,
    env: { ...process.env, ...env, HOME: dir, GITHUB_OUTPUT: output },
  });
  return /exitcode=(\d+)/.exec(await readFile(output, 'utf8'))![1]!;
}

/** Runs the GitLab script lines in turn as the runner would and returns the first failing exit code, or 0. */
async function runGitlabScript(lines: string[]): Promise<number> {
  for (const line of lines) {
    const code = await new Promise<number>((resolve) => {
      execFile(
        'sh',
        ['-c', line],
        { cwd: dir, env: { ...process.env, ...env, HOME: dir } },
        (error) => resolve(error ? ((error as { code?: number }).code ?? 1) : 0),
      );
    });
    if (code !== 0) return code;
  }
  return 0;
}

beforeAll(async () => {
  lab = await startLab();
  await lab.postgres.createRole('loader', { password: env.LOADER_PASSWORD, login: true });
  await lab.postgres.query('GRANT CREATE ON DATABASE postgres TO loader');
  dir = await mkdtemp(join(lab.dir, 'ci-'));
  await writeLabConfig(
    lab,
    { warehouse: { user: 'loader', passwordEnv: 'LOADER_PASSWORD', schema: 'ci_schema' } },
    { dir },
  );
  expect((await runCli(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
});
afterAll(() => lab?.stop());

describe('the drift jobs of examples/ci', () => {
  it('exit 0 without drift and 2 with it, in GitHub Actions and in GitLab CI', async () => {
    const commands = await driftCommands();
    expect(await runGithubStep(commands.github)).toBe('0');
    expect(await runGitlabScript(commands.gitlab)).toBe(0);

    await lab.postgres.query('DROP SCHEMA ci_schema');
    expect(await runGithubStep(commands.github)).toBe('2');
    expect(await runGitlabScript(commands.gitlab)).toBe(2);
    const report = await readFile(join(dir, 'drift.md'), 'utf8');
    expect(report).toContain(
      '| `warehouse` | ~ update | `ci_schema` | schema "ci_schema" no longer exists |',
    );
  });

  it('run a configuration that validates', async () => {
    const result = await runCli(['validate', '-c', join(root, 'examples/ci/pgdest.yaml')], {
      cwd: dir,
      env: {},
    });
    expect(result.stderr).not.toContain('Error:');
    expect(result.code).toBe(0);
  });
});
