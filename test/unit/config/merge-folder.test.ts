import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { bastionLines, destinationLines, fixtureEnvironment, yaml } from './load-fixture.ts';

let folder: string;

function writeConfigs(files: Record<string, string>): string {
  folder = mkdtempSync(join(tmpdir(), 'pgdest-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(folder, name, '..'), { recursive: true });
    writeFileSync(join(folder, name), text);
  }
  return folder;
}

afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('a config folder', () => {
  it('merges every yaml file in it', () => {
    const dir = writeConfigs({
      'bastions.yaml': yaml('version: 1', ...bastionLines),
      'destinations.yml': yaml('version: 1', ...destinationLines),
      'notes.txt': 'not a config',
    });
    const { config, diagnostics } = loadConfig(dir, {
      mode: 'offline',
      environment: fixtureEnvironment(),
    });
    expect(diagnostics).toEqual([]);
    expect([...config!.bastions.keys()]).toEqual(['main']);
    expect([...config!.destinations.keys()]).toEqual(['warehouse']);
    expect(config!.files).toEqual([join(dir, 'bastions.yaml'), join(dir, 'destinations.yml')]);
    expect(config!.state).toEqual({ backend: 'local', path: join(dir, '.pgdest/state.json') });
  });

  it('refuses a destination declared in two files, pointing at both', () => {
    const dir = writeConfigs({
      'a.yaml': yaml('version: 1', ...bastionLines, ...destinationLines),
      'b.yaml': yaml('version: 1', ...destinationLines),
    });
    const { config, diagnostics } = loadConfig(dir, {
      mode: 'offline',
      environment: fixtureEnvironment(),
    });
    expect(config).toBeUndefined();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      summary: 'Destination "warehouse" declared twice',
      detail: `It is first declared in ${join(dir, 'a.yaml')} at line 9, column 3, and again here.`,
      source: { file: join(dir, 'b.yaml'), line: 3, column: 3, path: 'destinations.warehouse' },
    });
  });

  it('refuses two state sections', () => {
    const state = ['state:', '  path: state.json'];
    const dir = writeConfigs({
      'a.yaml': yaml('version: 1', ...state),
      'b.yaml': yaml('version: 1', ...state),
    });
    const { diagnostics } = loadConfig(dir, { mode: 'offline', environment: fixtureEnvironment() });
    expect(diagnostics.map((d) => [d.summary, d.source?.file, d.source?.line])).toEqual([
      ['State declared twice', join(dir, 'b.yaml'), 2],
    ]);
  });

  it('resolves a bastion named in another file', () => {
    const dir = writeConfigs({
      'b.yaml': yaml('version: 1', ...bastionLines),
      'a.yaml': yaml(
        'version: 1',
        ...destinationLines.map((line) => line.replace('bastion: main', 'bastion: mian')),
      ),
    });
    const { diagnostics } = loadConfig(dir, { mode: 'offline', environment: fixtureEnvironment() });
    expect(diagnostics.map((d) => [d.summary, d.hint])).toEqual([
      ['Unknown bastion "mian"', 'Did you mean "main"?'],
    ]);
  });

  it('reads the secrets of the files that parse when another does not', () => {
    const dir = writeConfigs({
      'bastions.yaml': yaml('version: 1', 'bastions:', '  main: {host: "b'),
      'destinations.yaml': yaml('version: 1', ...destinationLines),
    });
    const { config, diagnostics } = loadConfig(dir, {
      mode: 'offline',
      environment: fixtureEnvironment({ env: {} }),
    });
    expect(config).toBeUndefined();
    expect(diagnostics.map((d) => [d.severity, d.summary, d.source?.file])).toEqual([
      ['error', 'Invalid YAML', join(dir, 'bastions.yaml')],
      [
        'warning',
        'Environment variable WAREHOUSE_PASSWORD is not set',
        join(dir, 'destinations.yaml'),
      ],
    ]);
  });

  it('says so when the folder holds no config file', () => {
    const dir = writeConfigs({ 'README.md': '# configs' });
    expect(loadConfig(dir, { mode: 'offline' }).diagnostics[0]!.summary).toBe(
      'No config files in folder',
    );
  });

  it('says so when the config does not exist', () => {
    writeConfigs({});
    const result = loadConfig(join(folder, 'pgdest.yaml'), { mode: 'offline' });
    expect(result.diagnostics[0]).toMatchObject({
      summary: 'Config not found',
      hint: expect.stringContaining('-c PATH'),
    });
  });
});
