// `npm run build` (and `prepare`, so `npm ci` runs it): bundles the CLI's
// TypeScript into one ES module, dist/cli/pgdest.mjs, that bin/pgdest.js runs
// while it is newer than every source. One file of plain JavaScript starts in
// half the time of the sources through tsx (no transform hooks, no module
// resolution per file); the dependencies stay in node_modules.
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;

/**
 * Writes the bundle to `outfile`, which must sit two folders below the
 * project's root as src/cli/ does, so that paths relative to the sources
 * (package.json, the schemas) resolve alike from the bundle.
 */
export async function buildBundle(outfile = `${root}dist/cli/pgdest.mjs`): Promise<void> {
  await build({
    entryPoints: [`${root}src/cli/run-cli.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Readable stack traces in bug reports.
    minify: false,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildBundle();
