import { describe, expect, it } from 'vitest';
import { selectDestinations } from '../../../src/check/select-destinations.ts';
import type { Config } from '../../../src/config/model.ts';
import { destinationOf } from '../../support/model-builders.ts';

const config = {
  destinations: new Map(
    ['warehouse', 'events', 'billing'].map((name) => [name, destinationOf(name)]),
  ),
} as Config;

describe('selectDestinations', () => {
  it('checks every destination when none is named', () => {
    expect(selectDestinations(config, [])).toEqual({
      names: ['warehouse', 'events', 'billing'],
      diagnostics: [],
    });
  });

  it('keeps the configuration order and accepts the destination. prefix', () => {
    expect(
      selectDestinations(config, ['billing', 'destination.warehouse', 'billing']).names,
    ).toEqual(['warehouse', 'billing']);
  });

  it('refuses an unknown name with a did-you-mean, and then checks nothing', () => {
    const { names, diagnostics } = selectDestinations(config, ['warehouse', 'evnets', 'zzz']);
    expect(names).toEqual([]);
    expect(diagnostics.map((d) => [d.summary, d.hint])).toEqual([
      ['Unknown destination "evnets"', 'Did you mean "events"?'],
      ['Unknown destination "zzz"', 'The destinations are warehouse, events, billing.'],
    ]);
  });
});
