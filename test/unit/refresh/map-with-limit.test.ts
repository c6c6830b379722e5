import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapWithLimit } from '../../../src/refresh/map-with-limit.ts';

/** A promise that the test settles by hand, so that the order of events is the test's own. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending continuation run, so that freed slots pick up the next item. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('mapping with a limit', () => {
  it('never runs more than the limit at once, and starts the next item when one finishes', async () => {
    const pending = Array.from({ length: 5 }, () => deferred<string>());
    const started: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const mapping = mapWithLimit(['a', 'b', 'c', 'd', 'e'], 2, async (item, index) => {
      started.push(index);
      mostAtOnce = Math.max(mostAtOnce, ++running);
      try {
        return `${item}:${await pending[index]!.promise}`;
      } finally {
        running--;
      }
    });

    await settle();
    expect(started).toEqual([0, 1]);
    pending[1]!.resolve('one');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    pending[0]!.resolve('zero');
    pending[2]!.resolve('two');
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    pending[4]!.resolve('four');
    pending[3]!.resolve('three');

    expect(await mapping).toEqual(['a:zero', 'b:one', 'c:two', 'd:three', 'e:four']);
    expect(mostAtOnce).toBe(2);
  });

  it('runs one item at a time with a limit of 1', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const results = await mapWithLimit([3, 1, 2], 1, async (item) => {
      mostAtOnce = Math.max(mostAtOnce, ++running);
      await settle();
      running--;
      return item * 10;
    });
    expect(results).toEqual([30, 10, 20]);
    expect(mostAtOnce).toBe(1);
  });

  it('returns an empty list for no items without calling work', async () => {
    let calls = 0;
    expect(await mapWithLimit([], 4, async () => calls++)).toEqual([]);
    expect(calls).toBe(0);
  });

  it('keeps every result in the items order and uses the whole limit, whatever order the work finishes in', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        async (scheduler, count, limit) => {
          const items = Array.from({ length: count }, (_, index) => index);
          let running = 0;
          let mostAtOnce = 0;
          const mapping = mapWithLimit(items, limit, async (item, index) => {
            mostAtOnce = Math.max(mostAtOnce, ++running);
            const value = await scheduler.schedule(Promise.resolve(`${item}@${index}`));
            running--;
            return value;
          });
          await scheduler.waitFor(mapping);
          expect(await mapping).toEqual(items.map((item) => `${item}@${item}`));
          expect(mostAtOnce).toBe(Math.min(limit, count));
        },
      ),
    );
  });

  it('gives per-item results when work catches its own failures, as its callers do', async () => {
    const results = await mapWithLimit(['ok', 'broken', 'ok'], 2, async (item) => {
      try {
        if (item === 'broken') throw new Error('database unreachable');
        return { kind: 'observed' as const };
      } catch (error) {
        return { kind: 'unreachable' as const, reason: (error as Error).message };
      }
    });
    expect(results).toEqual([
      { kind: 'observed' },
      { kind: 'unreachable', reason: 'database unreachable' },
      { kind: 'observed' },
    ]);
  });

  it('rejects with the error of a work that does not catch its own failure', async () => {
    const failure = new Error('not caught by work');
    const mapping = mapWithLimit([1, 2, 3], 2, async (item) => {
      if (item === 2) throw failure;
      return item;
    });
    await expect(mapping).rejects.toBe(failure);
  });
});
