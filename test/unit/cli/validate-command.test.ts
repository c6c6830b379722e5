import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../../src/cli/main.ts';
import { parseCommandLine } from '../../../src/cli/parse-command-line.ts';
import { schemaProblems } from '../../support/json-schemas.ts';
import { runCli } from '../../support/run-cli.ts';
import { validConfig } from '../config/load-fixture.ts';

const root = new URL('../../../', import.meta.url).pathname;
const env = { BASTION_PEM: 'k', WAREHOUSE_PASSWORD: 'p' };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgdest-validate-'));
  writeFileSync(join(dir, 'pgdest.yaml'), validConfig);
  writeFileSync(
    join(dir, 'broken.yaml'),
    validConfig.replace('      host: 10.0.1.5\n', '      host: 10.0.1.5\n      prot: 5432\n'),
  );
  writeFileSync(
    join(dir, 'tangled.yaml'),
    validConfig
      .replace('    bastion: main\n', '    bastion: mian\n')
      .replace('      host: 10.0.1.5\n', '      host: 10.0.1.5\n      prot: 5432\n'),
  );
  writeFileSync(join(dir, 'unparsable.yaml'), 'version: 1\ndestinations:\n  warehouse: [\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pgdest validate', () => {
  it('reads pgdest.yaml in the working folder and exits 0 when it is valid', async () => {
    const result = await runCli(['validate'], { cwd: dir, env });
    expect(result).toEqual({
      code: 0,
      stdout: 'The configuration is valid: 1 bastion, 1 destination.\n',
      stderr: '',
    });
  });

  it('shows each problem with its place, the line and a hint, and exits 1', async () => {
    const result = await runCli(['validate', '-c', 'broken.yaml'], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatchInlineSnapshot(`
      "Error: Unknown key "prot"

        on broken.yaml line 13, column 7, at destinations.warehouse.database.prot:
          13 |       prot: 5432
             |       ^^^^

        A database takes \`host\`, \`port\`, \`name\`, \`user\`, \`password\`, \`ssl\` and \`ssl_root_cert\`.
        Did you mean "port"?

      The configuration is not valid: 1 error, 0 warnings.
      "
    `);
  });

  it('prints the diagnostics as JSON with --format json', async () => {
    const result = await runCli(['validate', '-c', 'broken.yaml', '--format', 'json'], {
      cwd: dir,
      env,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      format_version: 1,
      valid: false,
      error_count: 1,
      warning_count: 0,
      diagnostics: [
        {
          severity: 'error',
          summary: 'Unknown key "prot"',
          detail:
            'A database takes `host`, `port`, `name`, `user`, `password`, `ssl` and `ssl_root_cert`.',
          hint: 'Did you mean "port"?',
          source: {
            file: join(dir, 'broken.yaml'),
            line: 13,
            column: 7,
            end_line: 13,
            end_column: 11,
            path: 'destinations.warehouse.database.prot',
          },
        },
      ],
    });
  });

  it.each([
    { config: 'broken.yaml', env, errors: 1, warnings: 0 },
    { config: 'tangled.yaml', env: {}, errors: 2, warnings: 2 },
    { config: 'unparsable.yaml', env, errors: 1, warnings: 0 },
    { config: 'missing.yaml', env, errors: 1, warnings: 0 },
  ])(
    'prints a document that matches validate.schema.json for the invalid $config, and exits 1',
    async ({ config, env: variables, errors, warnings }) => {
      const result = await runCli(['validate', '-c', config, '--format', 'json'], {
        cwd: dir,
        env: variables,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe('');
      const document = JSON.parse(result.stdout);
      expect(schemaProblems('validate.schema.json', document)).toEqual([]);
      expect(document).toMatchObject({
        valid: false,
        error_count: errors,
        warning_count: warnings,
      });
      const severities = document.diagnostics.map((d: { severity: string }) => d.severity);
      expect(severities.filter((s: string) => s === 'error')).toHaveLength(errors);
      expect(severities.filter((s: string) => s === 'warning')).toHaveLength(warnings);
    },
  );

  it('stays valid with warnings, and exits 0', async () => {
    const result = await runCli(['validate'], { cwd: dir, env: {} });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Warning: Environment variable WAREHOUSE_PASSWORD is not set');
    expect(result.stdout).toBe(
      'The configuration is valid: 1 bastion, 1 destination (2 warnings).\n',
    );
  });

  it('colours the output only on a terminal without NO_COLOR', async () => {
    const coloured = await runCli(['validate', '-c', 'broken.yaml'], { cwd: dir, env, tty: true });
    expect(coloured.stderr).toContain('\u001b[31m');
    const plain = await runCli(['validate', '-c', 'broken.yaml'], {
      cwd: dir,
      env: { ...env, NO_COLOR: '1' },
      tty: true,
    });
    expect(plain.stderr).not.toContain('\u001b[');
    const flagged = await runCli(['validate', '-c', 'broken.yaml', '--no-color'], {
      cwd: dir,
      env,
      tty: true,
    });
    expect(flagged.stderr).not.toContain('\u001b[');
  });

  it('validates every example shipped in examples/', async () => {
    const result = await runCli(['validate', '-c', join(root, 'examples')], { cwd: dir, env: {} });
    expect(result.stderr).not.toContain('Error:');
    expect(result.code).toBe(0);
  });
});

describe('the pgdest command line', () => {
  it('lists in --help exactly the commands it dispatches', async () => {
    const result = await runCli(['--help'], { cwd: dir });
    expect(result.code).toBe(0);
    const section = /\nCommands:\n((?: {2}\S.*\n)+)\n/.exec(result.stdout)?.[1] ?? '';
    const listed = section
      .trimEnd()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0]);
    expect(listed).toEqual(commands.map((command) => command.name));
    expect(listed).toEqual([
      'validate',
      'plan',
      'check',
      'apply',
      'show',
      'state',
      'destroy',
      'demo',
    ]);

    // Each name listed reaches its own command, which answers with its usage.
    for (const name of listed) {
      const parsed = parseCommandLine([name!, '--help'], commands);
      expect(parsed).toEqual({ kind: 'help', command: commands.find((c) => c.name === name) });
      const help = await runCli([name!, '--help'], { cwd: dir });
      expect(help.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: pgdest ${name} `));
    }
  });

  it('suggests the command meant by a typo', async () => {
    const result = await runCli(['valdate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Did you mean "validate"?');
  });

  it('suggests the option meant by a typo', async () => {
    const result = await runCli(['validate', '--formt', 'json'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Did you mean "--format"?');
  });

  it('refuses an unknown output format', async () => {
    const result = await runCli(['validate', '--format', 'yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--format takes human or json, not "yaml".');
  });

  it('runs as an executable through npx after npm ci', async () => {
    // A cache of its own: npx records the project there, and runs at the same
    // time in one cache can leave each other a half-written entry.
    const cache = mkdtempSync(join(tmpdir(), 'pgdest-npx-cache-'));
    try {
      const { stdout } = await promisify(execFile)('npx', ['--no-install', 'pgdest', '--help'], {
        cwd: root,
        env: { ...process.env, npm_config_cache: cache },
      });
      expect(stdout).toContain('Usage: pgdest <command> [options]');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
