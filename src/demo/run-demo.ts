import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteIdentifier, quoteLiteral } from '../plan/step-sql.ts';
import { scramVerifier } from '../database/scram-verifier.ts';
import type { Palette } from '../render/palette.ts';
import { startDemoBastion } from './start-demo-bastion.ts';
import { letServerUserThrough, startDemoPostgres } from './start-demo-postgres.ts';
import { writeDemoConfig } from './write-demo-config.ts';

export interface DemoContext {
  /** An empty folder of the demo's own; whoever made it removes it. */
  dir: string;
  schemaPath: string;
  /** Runs pgdest with these arguments in `dir`, printing as the user would see it. */
  runPgdest(args: string[]): Promise<number>;
  write(text: string): void;
  palette: Palette;
  /** Registers a way to stop what was started; the caller runs them at the end or on Ctrl-C. */
  onCleanup(stop: () => Promise<void>): void;
  /** Leave everything running and say how to use it. */
  keep: boolean;
  /** How the user runs pgdest from a shell, such as `npx pgdest`, for the commands `keep` suggests. */
  invocation: string;
}

/**
 * The whole flow against a throwaway database behind a throwaway bastion:
 * validate, plan, apply, a plan with no changes, drift made by hand and the
 * plan that repairs it, the repair, and check. Each step says in a line or
 * two what it shows. Returns the exit code.
 */
export async function runDemo(context: DemoContext): Promise<number> {
  const { palette, write } = context;
  const say = (title: string, text: string) =>
    write(`\n${palette.bold(palette.cyan(`== ${title}`))}\n${text}\n\n`);
  const step = async (args: string[], expected: number[]) => {
    write(`${palette.dim('$')} pgdest ${args.join(' ')}\n`);
    const code = await context.runPgdest(args);
    if (!expected.includes(code))
      throw new Error(
        `pgdest ${args.join(' ')} exited ${code}, where the demo expected ${expected.join(' or ')}`,
      );
  };

  // The servers: PostgreSQL, then the bastion that alone forwards to it.
  write(
    `${palette.bold('pgdest demo')}: a throwaway PostgreSQL behind a throwaway SSH bastion, on this machine only.\n`,
  );
  await letServerUserThrough(context.dir);
  const postgres = await startDemoPostgres(join(context.dir, 'postgres'));
  context.onCleanup(() => postgres.stop());
  const bastion = await startDemoBastion({ host: '127.0.0.1', port: postgres.port });
  context.onCleanup(() => bastion.stop());
  write(
    `Started PostgreSQL ${postgres.version.split(' ')[0]} on 127.0.0.1:${postgres.port} and an SSH bastion on 127.0.0.1:${bastion.port}.\n`,
  );

  // Two loaders: one may create its schema, one may only write into public.
  const passwords = {
    loader: randomBytes(12).toString('hex'),
    events: randomBytes(12).toString('hex'),
  };
  await postgres.query('CREATE DATABASE analytics');
  await postgres.query(
    `CREATE ROLE loader LOGIN PASSWORD ${quoteLiteral(scramVerifier(passwords.loader))}`,
  );
  await postgres.query(
    `CREATE ROLE events_loader LOGIN PASSWORD ${quoteLiteral(scramVerifier(passwords.events))}`,
  );
  await postgres.query('GRANT CREATE ON DATABASE analytics TO loader');
  await postgres.query('GRANT CREATE ON SCHEMA public TO events_loader', 'analytics');
  await mkdir(join(context.dir, 'secrets'), { mode: 0o700 });
  await writeFile(join(context.dir, 'secrets/loader-password'), `${passwords.loader}\n`, {
    mode: 0o600,
  });
  await writeFile(join(context.dir, 'secrets/events-password'), `${passwords.events}\n`, {
    mode: 0o600,
  });
  await writeFile(join(context.dir, 'demo_ed25519'), bastion.clientKey, { mode: 0o600 });
  const configPath = await writeDemoConfig({
    dir: context.dir,
    schemaPath: context.schemaPath,
    bastion,
    database: { port: postgres.port, name: 'analytics' },
  });

  say('The configuration', `pgdest reads destinations from YAML; this one is ${configPath}:`);
  write(palette.dim((await readFile(configPath, 'utf8')).replace(/^/gm, '  ')));

  say(
    '1. validate',
    'Checks the config offline against the JSON Schema and the rules beyond it; nothing connects.',
  );
  await step(['validate'], [0]);
  say(
    '2. plan',
    'Opens one SSH connection to the bastion, reads both databases through it, and shows what apply would do. `events` may not create its schema, so the plan predicts the documented fallback to public.',
  );
  await step(['plan'], [0]);
  say(
    '3. apply',
    'Creates what the plan showed and records each destination in .pgdest/state.json (no secret in it).',
  );
  await step(['apply', '--auto-approve'], [0]);
  say(
    '4. plan again',
    'The databases now match the config: no changes, exit 0 even with --detailed-exitcode.',
  );
  await step(['plan', '--detailed-exitcode'], [0]);
  say('5. drift', "Someone drops the schema by hand, behind pgdest's back:");
  write(`${palette.dim('postgres=#')} DROP SCHEMA ${quoteIdentifier('kondado')};\n`);
  await postgres.query(`DROP SCHEMA ${quoteIdentifier('kondado')}`, 'analytics');
  say(
    '6. plan finds the drift',
    'plan reads the database, not just the state: it shows the repair, and --detailed-exitcode exits 2, which is what a CI drift job watches for.',
  );
  await step(['plan', '--detailed-exitcode'], [2]);
  say('7. apply repairs it', 'The same command, idempotent: only what is missing is created.');
  await step(['apply', '--auto-approve'], [0]);
  say(
    '8. check',
    'Proves each loader can CREATE, ALTER, INSERT, SELECT, DELETE and DROP in its schema by doing it, in a transaction that is rolled back.',
  );
  await step(['check'], [0]);

  if (context.keep) {
    // An absolute path: the other terminal may be in any folder.
    const suggest = (args: string) => `  ${context.invocation} ${args} -c ${configPath}`;
    say(
      'Still running',
      `The database and the bastion keep running until you press Ctrl-C. Try, in another terminal:\n${suggest('plan')}\n${suggest('show')}\n${suggest('check --format markdown')}`,
    );
    return 0;
  }
  say(
    'Done',
    'Everything the demo started is stopped and its files removed. To point pgdest at your own destinations, start from examples/ and the README.',
  );
  return 0;
}
