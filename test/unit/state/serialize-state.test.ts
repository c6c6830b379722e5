import { describe, expect, it } from 'vitest';
import { serializeState } from '../../../src/state/serialize-state.ts';
import { advanceState, newState } from '../../../src/state/state.ts';
import { sampleMarts, sampleState, sampleWarehouse } from './sample-state.ts';

describe('serializeState', () => {
  it('writes snake_case keys in a fixed order, two-space indented, with a final newline', () => {
    expect(serializeState(sampleState(7))).toMatchInlineSnapshot(`
      "{
        "format_version": 1,
        "lineage": "3f1d2c4b-8a7e-4f60-9b1a-2d5c6e7f8a90",
        "serial": 7,
        "destinations": {
          "marts": {
            "bastion": null,
            "database": {
              "host": "db.internal",
              "port": 6432,
              "name": "marts",
              "user": "etl"
            },
            "schema": {
              "requested": "raw",
              "effective": "public",
              "fallback": true
            },
            "privileges": [
              "INSERT",
              "SELECT"
            ],
            "on_delete": "drop",
            "server_version": "15.7",
            "applied_at": "2024-05-02T08:30:00.000Z"
          },
          "warehouse": {
            "bastion": {
              "name": "main",
              "endpoint": "tunnel@bastion.example.com:22",
              "host_key": "SHA256:Wm3xq1cB0Hk2yq4W9n3Zp7cYt5sV8rL6eD2fG1hJ0kA"
            },
            "database": {
              "host": "10.0.1.5",
              "port": 5432,
              "name": "analytics",
              "user": "loader",
              "password_from": "env:WAREHOUSE_PASSWORD"
            },
            "schema": {
              "requested": "kondado",
              "effective": "kondado",
              "fallback": false
            },
            "privileges": [
              "CREATE",
              "ALTER",
              "INSERT",
              "SELECT",
              "DELETE",
              "DROP"
            ],
            "admin": {
              "user": "postgres",
              "password_from": "file:secrets/admin.txt"
            },
            "on_delete": "forget",
            "server_version": "16.4",
            "applied_at": "2024-05-01T10:00:00.000Z"
          }
        }
      }
      "
    `);
  });

  it('gives the same bytes whatever order destinations, keys and privileges were built in', () => {
    const warehouse = sampleWarehouse();
    const shuffled = {
      appliedAt: warehouse.appliedAt,
      serverVersion: warehouse.serverVersion,
      onDelete: warehouse.onDelete,
      admin: { passwordFrom: warehouse.admin!.passwordFrom!, user: warehouse.admin!.user },
      privileges: [...warehouse.privileges].reverse(),
      schema: { fallback: false, effective: 'kondado', requested: 'kondado' },
      database: { ...warehouse.database },
      bastion: warehouse.bastion,
    };
    const state = {
      ...sampleState(7),
      destinations: { warehouse: shuffled, marts: sampleMarts() },
    };

    expect(serializeState(state)).toBe(serializeState(sampleState(7)));
  });

  it('sorts destination names the same way whatever the locale', () => {
    const state = {
      ...newState(),
      destinations: { b: sampleMarts(), B: sampleMarts(), a: sampleMarts(), _x: sampleMarts() },
    };
    const names = Object.keys(JSON.parse(serializeState(state)).destinations);
    expect(names).toStrictEqual(['B', '_x', 'a', 'b']);
  });
});

describe('newState', () => {
  it('starts at serial 0 with a fresh UUID lineage and no destinations', () => {
    const first = newState();
    const second = newState();

    expect(first.serial).toBe(0);
    expect(first.destinations).toStrictEqual({});
    expect(first.lineage).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(second.lineage).not.toBe(first.lineage);
  });

  it('advances to the next serial in the same lineage', () => {
    const state = newState();
    const next = advanceState(state, { marts: sampleMarts() });
    expect(next).toStrictEqual({
      lineage: state.lineage,
      serial: 1,
      destinations: { marts: sampleMarts() },
    });
  });
});
