import { hostname } from 'node:os';
import { expect } from 'vitest';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.ts';
import { UserError } from '../../../src/diagnostics/diagnostic.ts';
import type { DestinationState, State } from '../../../src/state/state.ts';
import type { LockHolder } from '../../../src/state/state-store.ts';

/** A destination behind a bastion with every optional field set. */
export function sampleWarehouse(): DestinationState {
  return {
    bastion: {
      name: 'main',
      endpoint: 'tunnel@bastion.example.com:22',
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
    privileges: ['CREATE', 'ALTER', 'INSERT', 'SELECT', 'DELETE', 'DROP'],
    admin: { user: 'postgres', passwordFrom: 'file:secrets/admin.txt' },
    onDelete: 'forget',
    serverVersion: '16.4',
    appliedAt: '2024-05-01T10:00:00.000Z',
  };
}

/** A direct destination that fell back to public, with no optional field set. */
export function sampleMarts(): DestinationState {
  return {
    bastion: null,
    database: { host: 'db.internal', port: 6432, name: 'marts', user: 'etl' },
    schema: { requested: 'raw', effective: 'public', fallback: true },
    privileges: ['INSERT', 'SELECT'],
    onDelete: 'drop',
    serverVersion: '15.7',
    appliedAt: '2024-05-02T08:30:00.000Z',
  };
}

export function sampleState(serial = 1): State {
  return {
    lineage: '3f1d2c4b-8a7e-4f60-9b1a-2d5c6e7f8a90',
    serial,
    destinations: { warehouse: sampleWarehouse(), marts: sampleMarts() },
  };
}

/** A holder whose process is this one, so that every backend sees it as alive. */
export function liveHolder(command = 'pgdest apply'): LockHolder {
  return { host: hostname(), pid: process.pid, command, since: new Date().toISOString() };
}

/** The single diagnostic of the UserError that `promise` rejects with. */
export async function catchDiagnostic(promise: Promise<unknown>): Promise<Diagnostic> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserError);
  const diagnostics = (error as UserError).diagnostics;
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0]!;
}

/** The single diagnostic of the UserError that `run` throws. */
export function catchDiagnosticSync(run: () => unknown): Diagnostic {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const diagnostics = (error as UserError).diagnostics;
    expect(diagnostics).toHaveLength(1);
    return diagnostics[0]!;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
