import { hostname } from 'node:os';
import type { LockHolder } from './state-store.ts';

/**
 * The lock holder for the current process. `command` is what a person would
 * recognise, such as `pgdest apply`; it must not carry a secret, since a
 * second run prints it.
 */
export function describeThisRun(command: string, now = new Date()): LockHolder {
  return { host: hostname(), pid: process.pid, command, since: now.toISOString() };
}
