import { describe, expect, it } from 'vitest';
import type { Bastion, Destination } from '../../../src/config/model.ts';
import { Secret } from '../../../src/config/secret.ts';
import { recordDestination } from '../../../src/state/record-destination.ts';
import { serializeState } from '../../../src/state/serialize-state.ts';
import { newState } from '../../../src/state/state.ts';

// Values no field may ever hold; each appears only inside a Secret.
const canaries = {
  password: 'canary-loader-password-7f3a',
  adminPassword: 'canary-admin-password-91c2',
  privateKey: 'canary-private-key-b64e',
  passphrase: 'canary-passphrase-4d0e',
};

const source = {
  file: '/project/pgdest.yaml',
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 1,
  path: 'destinations.warehouse',
};

function declareBastion(host = 'bastion.example.com'): Bastion {
  return {
    name: 'main',
    host,
    port: 2222,
    user: 'tunnel',
    auth: {
      kind: 'key',
      privateKey: new Secret(
        'env:BASTION_PEM',
        `-----BEGIN OPENSSH PRIVATE KEY-----\n${canaries.privateKey}\n-----END OPENSSH PRIVATE KEY-----\n`,
      ),
      passphrase: new Secret('env:BASTION_PEM_PASSPHRASE', canaries.passphrase),
    },
    hostKey: 'SHA256:Wm3xq1cB0Hk2yq4W9n3Zp7cYt5sV8rL6eD2fG1hJ0kA',
    hostKeyCheck: 'strict',
    connectTimeoutMs: 20_000,
    keepaliveIntervalMs: 15_000,
    source,
  };
}

function declareDestination(): Destination {
  return {
    name: 'warehouse',
    address: 'destination.warehouse',
    bastion: 'main',
    database: {
      host: '10.0.1.5',
      port: 5432,
      name: 'analytics',
      user: 'loader',
      password: new Secret('env:WAREHOUSE_PASSWORD', canaries.password),
      ssl: 'prefer',
    },
    schema: 'kondado',
    schemaFallback: 'public',
    privileges: ['DROP', 'INSERT', 'CREATE', 'ALTER', 'SELECT', 'DELETE'],
    admin: {
      user: 'postgres',
      password: new Secret('file:/project/admin.txt', canaries.adminPassword),
    },
    onDelete: 'forget',
    source,
  };
}

const appliedAt = new Date('2024-05-01T10:00:00.000Z');

describe('recordDestination', () => {
  it('records what was applied through a bastion, with the host key seen', () => {
    const entry = recordDestination({
      destination: declareDestination(),
      bastion: declareBastion(),
      hostKeySeen: 'SHA256:Wm3xq1cB0Hk2yq4W9n3Zp7cYt5sV8rL6eD2fG1hJ0kA',
      effectiveSchema: 'kondado',
      serverVersion: '16.4',
      appliedAt,
    });

    expect(entry).toStrictEqual({
      bastion: {
        name: 'main',
        endpoint: 'tunnel@bastion.example.com:2222',
        hostKey: 'SHA256:Wm3xq1cB0Hk2yq4W9n3Zp7cYt5sV8rL6eD2fG1hJ0kA',
      },
      database: {
        host: '10.0.1.5',
        port: 5432,
        name: 'analytics',
        user: 'loader',
        passwordFrom: 'env:WAREHOUSE_PASSWORD',
      },
      schema: { requested: 'kondado', effective: 'kondado', fallback: false },
      privileges: ['DROP', 'INSERT', 'CREATE', 'ALTER', 'SELECT', 'DELETE'],
      admin: { user: 'postgres', passwordFrom: 'file:/project/admin.txt' },
      onDelete: 'forget',
      serverVersion: '16.4',
      appliedAt: '2024-05-01T10:00:00.000Z',
    });
  });

  it('records the fallback when the loader ended up writing into public', () => {
    const entry = recordDestination({
      destination: declareDestination(),
      effectiveSchema: 'public',
      serverVersion: '16.4',
      appliedAt,
    });
    expect(entry.schema).toStrictEqual({
      requested: 'kondado',
      effective: 'public',
      fallback: true,
    });
  });

  it('records a direct connection as a null bastion', () => {
    const { bastion: _, ...direct } = declareDestination();
    const entry = recordDestination({
      destination: direct,
      effectiveSchema: 'kondado',
      serverVersion: '16.4',
      appliedAt,
    });
    expect(entry.bastion).toBeNull();
  });

  it('brackets an IPv6 bastion address in the endpoint', () => {
    const entry = recordDestination({
      destination: declareDestination(),
      bastion: declareBastion('2001:db8::7'),
      effectiveSchema: 'kondado',
      serverVersion: '16.4',
      appliedAt,
    });
    expect(entry.bastion?.endpoint).toBe('tunnel@[2001:db8::7]:2222');
  });

  it('leaves out where a password comes from when none was declared', () => {
    const destination = declareDestination();
    delete destination.database.password;
    destination.admin = { user: 'postgres' };

    const entry = recordDestination({
      destination,
      effectiveSchema: 'kondado',
      serverVersion: '16.4',
      appliedAt,
    });

    expect(entry.database).not.toHaveProperty('passwordFrom');
    expect(entry.admin).toStrictEqual({ user: 'postgres' });
  });
});

describe('a state file written from a fully declared destination', () => {
  const entry = recordDestination({
    destination: declareDestination(),
    bastion: declareBastion(),
    hostKeySeen: 'SHA256:Wm3xq1cB0Hk2yq4W9n3Zp7cYt5sV8rL6eD2fG1hJ0kA',
    effectiveSchema: 'kondado',
    serverVersion: '16.4',
    appliedAt,
  });
  const text = serializeState({ ...newState(), serial: 1, destinations: { warehouse: entry } });

  it.each(Object.entries(canaries))('holds no trace of the %s', (_, value) => {
    expect(text).not.toContain(value);
  });

  it('holds no private key and no value shown as sensitive', () => {
    expect(text).not.toMatch(/PRIVATE KEY|\(sensitive\)/);
  });

  it('records every password by its origin only', () => {
    const origins = [...text.matchAll(/"password_from": "([^"]*)"/g)].map((match) => match[1]);
    expect(origins).toStrictEqual(['env:WAREHOUSE_PASSWORD', 'file:/project/admin.txt']);
  });
});
