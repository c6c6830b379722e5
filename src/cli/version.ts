import { createRequire } from 'node:module';

/** The version of pgdest, from package.json. */
export const pgdestVersion: string = (
  createRequire(import.meta.url)('../../package.json') as { version: string }
).version;
