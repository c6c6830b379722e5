import { execFileSync } from 'node:child_process';
import { errorDiagnostic, UserError } from '../diagnostics/diagnostic.ts';

/**
 * Who PostgreSQL runs as. It refuses to run as root, so as root it runs as
 * the `postgres` OS user that distribution packages create; otherwise as the
 * current user.
 */
export interface ServerUser {
  uid: number;
  gid: number;
  /** Whether it differs from the user running pgdest. */
  isOther: boolean;
}

export function findServerUser(): ServerUser {
  const uid = process.getuid?.() ?? 1;
  const gid = process.getgid?.() ?? 1;
  if (uid !== 0) return { uid, gid, isOther: false };
  try {
    const read = (flag: string) =>
      Number(
        execFileSync('id', [flag, 'postgres'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim(),
      );
    return { uid: read('-u'), gid: read('-g'), isOther: true };
  } catch {
    throw new UserError(
      errorDiagnostic('No unprivileged user to run PostgreSQL as', {
        detail:
          'PostgreSQL refuses to run as root, and there is no postgres OS user to run it as instead.',
        hint: 'Run pgdest demo as an ordinary user, or create one: `useradd --system postgres`.',
      }),
    );
  }
}

/** The command line that runs a program as the server user; setpriv keeps the process id. */
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
