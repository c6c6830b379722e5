#!/usr/bin/env node
// Runs the bundle that `npm run build` writes (npm ci runs it) when it is
// newer than every source file, and otherwise the TypeScript sources through
// tsx, so that a fresh clone works with no build step and an edited source is
// never shadowed by an older bundle.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const bundle = new URL('dist/cli/pgdest.mjs', root);

if (bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/cli/run-cli.ts', root).href);
}

function bundleIsFresh() {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const newerThanBundle = (path) => statSync(path).mtimeMs > built;
  const sourceFiles = ['src', 'schemas'].flatMap((dir) =>
    readdirSync(new URL(dir, root), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => `${entry.parentPath ?? entry.path}/${entry.name}`),
  );
  return ![new URL('package.json', root), ...sourceFiles].some(newerThanBundle);
}
