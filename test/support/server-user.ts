import { chown } from 'node:fs/promises';
import { runCommand } from './run-command.ts';

/*
 * PostgreSQL refuses to run as root. When the tests run as root, its files
 * belong to, and its programs run as, the `postgres` OS user that Debian's
 * packages create; otherwise everything runs as the current user.
 */

/** The OS user servers that refuse root run as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** Whether it differs from the user running the tests. */
  isOther: boolean;
}

let cached: Promise<ServerUser> | undefined;

/** Finds the user PostgreSQL should run as. */
export function findServerUser(): Promise<ServerUser> {
  cached ??= lookUpServerUser();
  return cached;
}

async function lookUpServerUser(): Promise<ServerUser> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid !== 0) return { name: 'current', uid, gid, isOther: false };
  const id = await runCommand('id', ['-u', 'postgres'], { allowFailure: true });
  if (id.code !== 0) {
    throw new Error(
      'running as root, and there is no postgres OS user to run PostgreSQL as; install postgresql or run the tests as another user',
    );
  }
  const group = await runCommand('id', ['-g', 'postgres']);
  return {
    name: 'postgres',
    uid: Number(id.stdout.trim()),
    gid: Number(group.stdout.trim()),
    isOther: true,
  };
}

/**
 * The command and arguments that run a program as the server user (setpriv
 * execs it, keeping the pid).
 */
export function asServerUser(
  user: ServerUser,
  command: string,
  args: readonly string[],
): [string, string[]] {
  if (!user.isOther) return [command, [...args]];
  return [
    'setpriv',
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args],
  ];
}

/** Gives a file or folder to the server user. */
export async function giveToServerUser(user: ServerUser, path: string): Promise<void> {
  if (user.isOther) await chown(path, user.uid, user.gid);
}
