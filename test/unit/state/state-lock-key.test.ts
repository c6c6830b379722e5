import { describe, expect, it } from 'vitest';
import { setupLockKey, stateLockKey } from '../../../src/state/state-lock-key.ts';

describe('stateLockKey', () => {
  // Runs of different pgdest versions lock the same state only if they
  // compute the same key: these numbers must never change.
  it('gives the same key in every version of pgdest', () => {
    expect(stateLockKey('pgdest', 'default')).toStrictEqual({
      classId: 0x70676401,
      objectId: -452973902,
    });
    expect(setupLockKey('pgdest')).toStrictEqual({ classId: 0x70676402, objectId: -826583854 });
  });

  it('gives each schema and key its own id', () => {
    const ids = new Set(
      ['default', 'warehouse', 'marts'].flatMap((key) =>
        ['pgdest', 'ops'].map((schema) => stateLockKey(schema, key).objectId),
      ),
    );
    expect(ids.size).toBe(6);
  });

  it('does not confuse a name split differently between schema and key', () => {
    expect(stateLockKey('ab', 'c').objectId).not.toBe(stateLockKey('a', 'bc').objectId);
  });

  it('keeps ids within a signed 32-bit integer, as pg_try_advisory_lock(int4, int4) takes them', () => {
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const { objectId } = stateLockKey('pgdest', key);
      expect(Number.isInteger(objectId) && objectId >= -(2 ** 31) && objectId < 2 ** 31).toBe(true);
    }
  });
});
