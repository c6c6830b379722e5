import { describe, expect, it } from 'vitest';
import { setupLockKey } from '../../../src/state/state-lock-key.ts';

describe('setupLockKey', () => {
  // Runs of different pgdest versions create the tables one at a time only
  // if they compute the same key: these numbers must never change.
  it('gives the same key in every version of pgdest', () => {
    expect(setupLockKey('pgdest')).toStrictEqual({ classId: 0x70676402, objectId: -826583854 });
  });

  it('gives each schema its own id', () => {
    const ids = new Set(
      ['pgdest', 'ops', 'Ops', 'pgdest_ops'].map((s) => setupLockKey(s).objectId),
    );
    expect(ids.size).toBe(4);
  });

  it('keeps ids within a signed 32-bit integer, as pg_advisory_xact_lock(int4, int4) takes them', () => {
    for (const schema of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const { objectId } = setupLockKey(schema);
      expect(Number.isInteger(objectId) && objectId >= -(2 ** 31) && objectId < 2 ** 31).toBe(true);
    }
  });
});
