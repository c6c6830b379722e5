import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/config/secret.ts';
import { collectSecretTexts, scrubError, scrubText } from '../../../src/tunnel/scrub-secrets.ts';

const key = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
  'AAAAMwAAAAtzc2gtZWQyNTUxOQAAACBexample',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

describe('collectSecretTexts', () => {
  it('gives each available value and the long lines of multi-line values, longest first', () => {
    const texts = collectSecretTexts([
      new Secret('env:KEY', key),
      new Secret('env:PW', 'hunter2'),
      undefined,
      new Secret('env:GONE', undefined, 'unset'),
    ]);

    expect(texts[0]).toBe(key);
    expect(texts).toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
    expect(texts).toContain('hunter2');
    expect(texts).toHaveLength(6);
  });

  it('skips empty values, which would mask everything', () => {
    expect(collectSecretTexts([new Secret('env:EMPTY', '')])).toEqual([]);
  });
});

describe('scrubText', () => {
  it('replaces every occurrence with (sensitive)', () => {
    expect(scrubText('pw hunter2 and hunter2', ['hunter2'])).toBe('pw (sensitive) and (sensitive)');
  });
});

describe('scrubError', () => {
  it('scrubs the message, the stack, string fields and the causes', () => {
    const cause = Object.assign(new Error('echoed hunter2'), { detail: 'value hunter2' });
    const error = new Error('failed with hunter2', { cause });

    scrubError(error, ['hunter2']);

    expect(error.message).toBe('failed with (sensitive)');
    expect(error.stack).not.toContain('hunter2');
    expect(cause.message).toBe('echoed (sensitive)');
    expect(cause.detail).toBe('value (sensitive)');
  });

  it('leaves values that are not errors alone', () => {
    expect(scrubError('hunter2', ['hunter2'])).toBe('hunter2');
  });

  it('survives a cycle of causes', () => {
    const error: Error & { cause?: unknown } = new Error('a hunter2');
    error.cause = error;

    expect(scrubError(error, ['hunter2']).message).toBe('a (sensitive)');
  });
});
