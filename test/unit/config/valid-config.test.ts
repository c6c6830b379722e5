import { describe, expect, it } from 'vitest';
import { parseConfigSource } from '../../../src/config/config-source.ts';
import {
  fixtureEnvironment,
  loadText,
  sharedDatabaseConfig,
  validConfig,
  yaml,
} from './load-fixture.ts';

describe('loading a valid config', () => {
  it('builds the desired state with the schema defaults filled in', () => {
    const { config, diagnostics } = loadText(validConfig);
    expect(diagnostics).toEqual([]);
    const bastion = config!.bastions.get('main')!;
    expect(bastion).toMatchObject({
      host: 'bastion.example.com',
      port: 22,
      user: 'tunnel',
      hostKeyCheck: 'strict',
      connectTimeoutMs: 20_000,
      keepaliveIntervalMs: 15_000,
    });
    const destination = config!.destinations.get('warehouse')!;
    expect(destination).toMatchObject({
      address: 'destination.warehouse',
      bastion: 'main',
      schema: 'kondado',
      schemaFallback: 'public',
      onDelete: 'forget',
      privileges: ['DROP', 'INSERT', 'CREATE', 'ALTER', 'SELECT', 'DELETE'],
      database: { host: '10.0.1.5', port: 5432, name: 'analytics', user: 'loader', ssl: 'prefer' },
    });
    expect(destination.database.password!.reveal()).toBe('fixture-password');
    expect(config!.state).toEqual({ backend: 'local', path: '/configs/.pgdest/state.json' });
  });

  it('reads secrets from files relative to the config file', () => {
    const { config } = loadText(
      validConfig.replace('${env:WAREHOUSE_PASSWORD}', '${file:secrets/password}'),
    );
    expect(config!.destinations.get('warehouse')!.database.password!.reveal()).toBe('from-a-file');
  });

  it('reads a private key file from the home folder', () => {
    const { config } = loadText(
      validConfig.replace('private_key: ${env:BASTION_PEM}', 'private_key_file: ~/.ssh/id_ed25519'),
    );
    const auth = config!.bastions.get('main')!.auth;
    expect(auth.kind === 'key' && auth.privateKey.reveal()).toContain('OPENSSH PRIVATE KEY');
  });

  it("accepts a bastion that relies on the user's own known_hosts, as OpenSSH does", () => {
    const { config, diagnostics } = loadText(validConfig.replace(/ {4}host_key: .*\n/, ''));
    expect(diagnostics).toEqual([]);
    expect(config!.bastions.get('main')!.hostKey).toBeUndefined();
  });

  it('keeps secrets out of JSON and inspection of the model', async () => {
    const { config } = loadText(validConfig);
    const { inspect } = await import('node:util');
    const destination = config!.destinations.get('warehouse')!;
    expect(JSON.stringify(destination)).not.toContain('fixture-password');
    expect(inspect(destination, { depth: 10 })).not.toContain('fixture-password');
    expect(`${destination.database.password}`).toBe('(sensitive)');
  });

  it('reads a postgres state backend with its defaults', () => {
    const text = yaml(
      validConfig,
      'state:',
      '  backend: postgres',
      '  bastion: main',
      '  database:',
      '    host: 10.0.1.9',
      '    name: ops',
      '    user: pgdest',
      '    password: ${env:WAREHOUSE_PASSWORD}',
    );
    const { config, diagnostics } = loadText(text);
    expect(diagnostics).toEqual([]);
    expect(config!.state).toMatchObject({
      backend: 'postgres',
      bastion: 'main',
      schema: 'pgdest',
      key: 'default',
      database: { host: '10.0.1.9', port: 5432 },
    });
  });

  it('reads anchors and merge keys, such as database settings shared by two destinations', () => {
    const { config, diagnostics } = loadText(sharedDatabaseConfig);
    expect(diagnostics).toEqual([]);
    expect(config!.destinations.get('marts')!).toMatchObject({
      schema: 'marts',
      database: { host: '10.0.1.5', port: 5432, name: 'marts', user: 'loader', ssl: 'require' },
    });
    expect(config!.destinations.get('marts')!.database.password!.reveal()).toBe('fixture-password');
    expect(config!.destinations.get('warehouse')!.database.name).toBe('analytics');
  });

  it('reads a merge key the same whether js-yaml or the yaml package parses the file', () => {
    // A key written twice sends the file to the yaml package; the same value twice changes nothing.
    const twice = sharedDatabaseConfig.replace(
      '    schema: marts\n',
      '    schema: marts\n    schema: marts\n',
    );
    const slow = parseConfigSource('/configs/pgdest.yaml', twice);
    expect(slow.diagnostics.map((d) => d.summary)).toEqual(['Duplicate key']);
    const quick = parseConfigSource('/configs/pgdest.yaml', sharedDatabaseConfig);
    expect(quick.diagnostics).toEqual([]);
    expect(slow.source.data).toEqual(quick.source.data);
    expect(quick.source.data).toMatchObject({
      destinations: { marts: { database: { host: '10.0.1.5', name: 'marts' } } },
    });
  });

  it('gives the same digest whatever the comments and key order', () => {
    const reordered = validConfig.replace(
      '    host: bastion.example.com\n    user: tunnel\n',
      '    user: tunnel # the SSH user\n    host: bastion.example.com\n',
    );
    expect(loadText(reordered).config!.digest).toBe(loadText(validConfig).config!.digest);
    expect(loadText(validConfig.replace('kondado', 'other')).config!.digest).not.toBe(
      loadText(validConfig).config!.digest,
    );
  });

  it('reports a missing environment variable as a warning offline and as an error when connecting', () => {
    const environment = fixtureEnvironment({ env: { BASTION_PEM: 'k' } });
    const offline = loadText(validConfig, 'offline', environment);
    expect(offline.config).toBeDefined();
    expect(offline.diagnostics.map((d) => [d.severity, d.summary])).toEqual([
      ['warning', 'Environment variable WAREHOUSE_PASSWORD is not set'],
    ]);
    const connect = loadText(validConfig, 'connect', environment);
    expect(connect.config).toBeUndefined();
    expect(connect.diagnostics.map((d) => [d.severity, d.summary])).toEqual([
      ['error', 'Environment variable WAREHOUSE_PASSWORD is not set'],
    ]);
  });
});
