import { describe, expect, it } from 'vitest';
import { renderDiagnostics } from '../../../src/render/render-diagnostics.ts';

describe('rendered diagnostics', () => {
  it('name every destination a shared problem concerns once, instead of repeating it', () => {
    const problem = {
      severity: 'error' as const,
      summary: 'Bastion unreachable',
      detail: 'No route.',
      hint: 'Check the VPN.',
    };
    const text = renderDiagnostics([
      { ...problem, address: 'destination.a' },
      { ...problem, address: 'destination.b' },
      { severity: 'warning', summary: 'Other', address: 'destination.c' },
    ]);
    expect(text).toBe(
      'Error: Bastion unreachable\n\n  on destination.a, destination.b\n\n  No route.\n  Check the VPN.\n\nWarning: Other\n\n  on destination.c\n',
    );
  });
});
