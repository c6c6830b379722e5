import { errorDiagnostic, UserError, type Diagnostic } from '../diagnostics/diagnostic.ts';

/** Why a bastion connection or a forwarded channel failed, one value per thing the user can fix. */
export type TunnelFailure =
  | 'bastion-unreachable'
  | 'connect-timeout'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'known-hosts-unreadable'
  | 'authentication-refused'
  | 'agent-unavailable'
  | 'key-unreadable'
  | 'key-passphrase-missing'
  | 'key-passphrase-wrong'
  | 'forwarding-refused'
  | 'database-unreachable'
  | 'channel-timeout'
  | 'connection-lost';

/**
 * A bastion connection or a forwarded channel that failed. It carries the
 * diagnostic the user reads, the hop that failed (`user@host:port`) and the
 * ssh2 error, scrubbed of secrets, as `cause`.
 */
export class TunnelError extends UserError {
  readonly reason: TunnelFailure;
  /** The hop that failed, as `user@host:port`. */
  readonly hop: string | undefined;

  constructor(
    reason: TunnelFailure,
    diagnostic: Diagnostic,
    options: { hop?: string; cause?: unknown } = {},
  ) {
    super(diagnostic);
    this.name = 'TunnelError';
    this.reason = reason;
    this.hop = options.hop;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** The one diagnostic this error carries. */
  get diagnostic(): Diagnostic {
    return this.diagnostics[0]!;
  }
}

/** Builds a TunnelError from its parts, so that call sites read as the message. */
export function createTunnelError(
  reason: TunnelFailure,
  summary: string,
  fields: { detail: string; hint: string; hop?: string; cause?: unknown },
): TunnelError {
  const diagnostic = errorDiagnostic(summary, { detail: fields.detail, hint: fields.hint });
  return new TunnelError(reason, diagnostic, { hop: fields.hop, cause: fields.cause });
}
