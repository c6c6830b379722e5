/**
 * Where library code sends debug lines, such as
 * `debug tunnel: channel to 10.0.1.5:5432 opened via tunnel@bastion:22 in 41 ms`.
 * Only the command line decides whether and where they are printed.
 */
export interface Logger {
  debug(scope: string, message: string): void;
  warn(scope: string, message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  warn() {},
};
