import { describe, expect, it } from 'vitest';
import {
  DatabaseConnectionError,
  readPostgresFields,
} from '../../../src/database/database-connection-error.ts';
import { errorDiagnostic } from '../../../src/diagnostics/diagnostic.ts';

describe('readPostgresFields', () => {
  it('keeps every field of a server error', () => {
    const serverError = Object.assign(new Error('permission denied'), {
      severity: 'ERROR',
      code: '42501',
      detail: 'd',
      hint: 'h',
      position: '7',
      schema: 's',
      table: 't',
      routine: 'aclcheck_error',
      length: 99,
    });

    expect(readPostgresFields(serverError)).toEqual({
      message: 'permission denied',
      severity: 'ERROR',
      code: '42501',
      detail: 'd',
      hint: 'h',
      position: '7',
      schema: 's',
      table: 't',
      routine: 'aclcheck_error',
    });
  });

  it('ignores errors that did not come from the server', () => {
    expect(
      readPostgresFields(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
  });
});

describe('DatabaseConnectionError', () => {
  it('carries the SQLSTATE and the cause', () => {
    const cause = Object.assign(new Error('no'), { severity: 'FATAL', code: '28P01' });
    const error = new DatabaseConnectionError(
      'password-refused',
      errorDiagnostic('Refused'),
      cause,
    );

    expect([error.code, error.cause, error.message, error.diagnostic.summary]).toEqual([
      '28P01',
      cause,
      'Refused',
      'Refused',
    ]);
  });
});
