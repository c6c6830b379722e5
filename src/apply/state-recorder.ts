import { advanceState, newState, type DestinationState, type State } from '../state/state.ts';
import type { StateStore } from '../state/state-store.ts';

type Mutation = {
  name: string;
  entry: DestinationState | null;
  done: () => void;
  failed: (error: unknown) => void;
};

/**
 * Writes each destination's result to state as soon as it is done. While one
 * write is under way, the results that finish meanwhile wait and go out
 * together in the next, so that a thousand destinations do not make a
 * thousand writes. The state in memory moves on only once a write succeeded.
 */
export class StateRecorder {
  readonly #store: StateStore;
  #state: State;
  #pending: Mutation[] = [];
  #writing: Promise<void> | undefined;

  constructor(store: StateStore, prior: State | undefined) {
    this.#store = store;
    this.#state = prior ?? newState();
  }

  /** The state as last written (or as read, before any write). */
  get state(): State {
    return this.#state;
  }

  record(name: string, entry: DestinationState): Promise<void> {
    return this.#enqueue(name, entry);
  }

  remove(name: string): Promise<void> {
    return this.#enqueue(name, null);
  }

  #enqueue(name: string, entry: DestinationState | null): Promise<void> {
    return new Promise((done, failed) => {
      this.#pending.push({ name, entry, done, failed });
      this.#writing ??= this.#flush().finally(() => {
        this.#writing = undefined;
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      const destinations = { ...this.#state.destinations };
      for (const { name, entry } of batch) {
        if (entry === null) delete destinations[name];
        else destinations[name] = entry;
      }
      const next = advanceState(this.#state, destinations);
      try {
        await this.#store.write(next);
        this.#state = next;
        for (const mutation of batch) mutation.done();
      } catch (error) {
        for (const mutation of batch) mutation.failed(error);
      }
    }
  }
}
