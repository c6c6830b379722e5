import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../demo/run-demo.ts';
import type { Command } from './command.ts';
import { paletteFor } from './output.ts';

const schemaPath = new URL('../../schemas/pgdest.schema.json', import.meta.url).pathname;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the whole flow against a throwaway database behind a throwaway bastion',
  usage: 'pgdest demo [--keep] [--no-color]',
  description:
    'Starts a throwaway PostgreSQL (its server programs found on PATH, through pg_config, or under /usr/lib/postgresql/*/bin; as the postgres user when run as root) and an SSH bastion inside this process, writes a config into a temporary folder, and walks through validate, plan, apply, a plan with no changes, drift made by hand and its repair, and check. Everything it started is stopped and its files removed at the end, and on Ctrl-C. --keep leaves both running, with the commands to try, until Ctrl-C.',
  options: {
    keep: {
      type: 'boolean',
      description: 'leave the database and the bastion running until Ctrl-C',
    },
    'no-color': {
      type: 'boolean',
      description: 'no colours in the output (also when NO_COLOR is set)',
    },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  maxPositionals: 0,
  async run({ io, options }) {
    const dir = await mkdtemp(join(tmpdir(), 'pgdest-demo-'));
    const stops: (() => Promise<void>)[] = [];
    let cleaning: Promise<void> | undefined;
    const cleanUp = () =>
      (cleaning ??= (async () => {
        for (const stop of stops.reverse()) await stop().catch(() => {});
        await rm(dir, { recursive: true, force: true });
      })());

    // Ctrl-C (or a TERM from a supervisor) stops everything before leaving.
    let interrupted: ((signal: NodeJS.Signals) => void) | undefined;
    const stopped = new Promise<NodeJS.Signals>((resolve) => (interrupted = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted?.(signal);
      io.stderr.write(
        `\npgdest demo: ${signal}; stopping the database and the bastion, removing ${dir}\n`,
      );
      void cleanUp().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    try {
      const { main } = await import('./main.ts');
      const code = await runDemo({
        dir,
        schemaPath,
        keep: options.keep === true,
        // npx sets npm_command; without it, pgdest was run from PATH.
        invocation: io.env.npm_command === 'exec' ? 'npx pgdest' : 'pgdest',
        palette: paletteFor(io, options, 'stdout'),
        write: (text) => io.stdout.write(text),
        onCleanup: (stop) => stops.push(stop),
        runPgdest: (args) =>
          main([...args, ...(options['no-color'] ? ['--no-color'] : [])], { ...io, cwd: dir }),
      });
      if (options.keep === true) await stopped;
      return code;
    } finally {
      if (options.keep !== true) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await cleanUp();
    }
  },
};
