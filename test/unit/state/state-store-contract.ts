import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { advanceState } from '../../../src/state/state.ts';
import type { StateStore } from '../../../src/state/state-store.ts';
import { catchDiagnostic, liveHolder, sampleMarts, sampleState } from './sample-state.ts';

/** Fresh, empty storage for one test, which several runs can open at once. */
export interface StateStoreFixture {
  /** A store on this fixture's storage, as a separate pgdest run would open it. */
  open(): Promise<StateStore>;
  dispose?(): Promise<void>;
}

/**
 * Registers the behaviour every StateStore must show. Each backend's test file
 * calls it with a factory for fresh storage.
 */
export function runStateStoreContract(
  backend: string,
  createFixture: () => Promise<StateStoreFixture>,
): void {
  describe(`the ${backend} state store`, () => {
    let fixture: StateStoreFixture;
    beforeEach(async () => {
      fixture = await createFixture();
    });
    afterEach(async () => {
      await fixture.dispose?.();
    });

    describe('reading and writing', () => {
      it('reads nothing from storage that was never written', async () => {
        const store = await fixture.open();
        expect(await store.read()).toBeUndefined();
      });

      it('reads back exactly the state that was written', async () => {
        const store = await fixture.open();
        await store.write(sampleState(1));
        expect(await store.read()).toStrictEqual(sampleState(1));
      });

      it('shows what one run wrote to a run that opens the store afterwards', async () => {
        await (await fixture.open()).write(sampleState(1));
        expect(await (await fixture.open()).read()).toStrictEqual(sampleState(1));
      });

      it('accepts each write whose serial is one more than the stored serial', async () => {
        const store = await fixture.open();
        await store.write(sampleState(1));
        await store.write(advanceState(sampleState(1), { marts: sampleMarts() }));
        await store.write(advanceState(sampleState(2), {}));
        expect(await store.read()).toStrictEqual({ ...sampleState(3), destinations: {} });
      });

      it('accepts any lineage and serial over empty storage, so that a migrated state keeps its history', async () => {
        const store = await fixture.open();
        await store.write(sampleState(42));
        expect((await store.read())?.serial).toBe(42);
      });

      it.each([
        ['repeats the stored serial', 2],
        ['skips a serial', 4],
        ['goes back a serial', 1],
      ])('refuses a write that %s and keeps what was stored', async (_, serial) => {
        const store = await fixture.open();
        await store.write(sampleState(1));
        await store.write(sampleState(2));

        const diagnostic = await catchDiagnostic(store.write(sampleState(serial)));

        expect(diagnostic.summary).toBe('State changed since it was read');
        expect(diagnostic.detail).toContain(store.location);
        expect(diagnostic.detail).toContain('serial 2');
        expect(diagnostic.hint).toMatch(/run the command again/i);
        expect(await store.read()).toStrictEqual(sampleState(2));
      });

      it('refuses a write from another lineage even when its serial follows', async () => {
        const store = await fixture.open();
        await store.write(sampleState(1));

        const other = { ...sampleState(2), lineage: '00000000-0000-4000-8000-000000000000' };
        const diagnostic = await catchDiagnostic(store.write(other));

        expect(diagnostic.summary).toBe('State changed since it was read');
        expect(diagnostic.detail).toContain('lineage');
        expect(await store.read()).toStrictEqual(sampleState(1));
      });

      it('refuses, as a bug, a state whose serial was never advanced', async () => {
        const store = await fixture.open();
        await expect(store.write(sampleState(0))).rejects.toThrow(/serial from 1/);
        expect(await store.read()).toBeUndefined();
      });
    });

    describe('locking', () => {
      it('refuses a second run while the lock is held, naming the holder and what to do', async () => {
        const holder = liveHolder('pgdest apply --auto-approve');
        await (await fixture.open()).lock(holder, 0);
        const second = await fixture.open();

        const diagnostic = await catchDiagnostic(second.lock(liveHolder('pgdest plan'), 0));

        expect(diagnostic.summary).toBe('State is locked');
        expect(diagnostic.detail).toContain(second.location);
        expect(diagnostic.detail).toContain(`process ${holder.pid} on ${holder.host}`);
        expect(diagnostic.detail).toContain('pgdest apply --auto-approve');
        expect(diagnostic.detail).toContain(holder.since);
        expect(diagnostic.hint).toContain('pgdest state unlock');
      });

      it('waits for the lock timeout before refusing', async () => {
        await (await fixture.open()).lock(liveHolder(), 0);
        const second = await fixture.open();

        const startedAt = Date.now();
        const diagnostic = await catchDiagnostic(second.lock(liveHolder('pgdest plan'), 400));

        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(390);
        expect(diagnostic.summary).toBe('State is locked');
        expect(diagnostic.detail).toMatch(/waited [\d.]+s/);
      });

      it('hands the lock to a waiting run soon after the holder releases it', async () => {
        const first = await (await fixture.open()).lock(liveHolder(), 0);
        const second = await fixture.open();

        const startedAt = Date.now();
        const waiting = second.lock(liveHolder('pgdest plan'), 10_000);
        setTimeout(() => void first.release(), 300);
        await waiting;

        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
        expect(Date.now() - startedAt).toBeLessThan(3_000);
      });

      it('lets another run in once the holder released the lock', async () => {
        const first = await (await fixture.open()).lock(liveHolder(), 0);
        await first.release();
        await expect(
          (await fixture.open()).lock(liveHolder('pgdest plan'), 0),
        ).resolves.toBeDefined();
      });

      it('does nothing on a second release, even when another run holds the lock by then', async () => {
        const first = await (await fixture.open()).lock(liveHolder(), 0);
        await first.release();
        await (await fixture.open()).lock(liveHolder('pgdest plan'), 0);

        await first.release();

        const diagnostic = await catchDiagnostic(
          (await fixture.open()).lock(liveHolder('pgdest show'), 0),
        );
        expect(diagnostic.detail).toContain('pgdest plan');
      });

      it('releases a lock still held when the store is closed', async () => {
        const store = await fixture.open();
        await store.lock(liveHolder(), 0);
        await store.close();
        await expect(
          (await fixture.open()).lock(liveHolder('pgdest plan'), 0),
        ).resolves.toBeDefined();
      });

      it('lets the holder write while it holds the lock', async () => {
        const store = await fixture.open();
        const lock = await store.lock(liveHolder(), 0);
        await store.write(sampleState(1));
        await lock.release();
        expect((await store.read())?.serial).toBe(1);
      });
    });

    describe('forcing the lock open', () => {
      it('removes a lock held by another run and says who held it', async () => {
        const holder = liveHolder('pgdest apply');
        await (await fixture.open()).lock(holder, 0);

        const outcome = await (await fixture.open()).forceUnlock();

        expect(outcome).toStrictEqual({ kind: 'unlocked', holder });
        await expect(
          (await fixture.open()).lock(liveHolder('pgdest plan'), 0),
        ).resolves.toBeDefined();
      });

      it('says so when nobody holds the lock', async () => {
        expect(await (await fixture.open()).forceUnlock()).toStrictEqual({ kind: 'not-locked' });
      });

      it('does not let the forced-out holder release the lock of the run that took it next', async () => {
        const first = await (await fixture.open()).lock(liveHolder('pgdest apply'), 0);
        await (await fixture.open()).forceUnlock();
        await (await fixture.open()).lock(liveHolder('pgdest plan'), 0);

        await first.release();

        const diagnostic = await catchDiagnostic(
          (await fixture.open()).lock(liveHolder('pgdest show'), 0),
        );
        expect(diagnostic.detail).toContain('pgdest plan');
      });
    });
  });
}
