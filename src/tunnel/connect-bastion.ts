import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Bastion } from '../config/model.ts';
import type { Logger } from '../diagnostics/logger.ts';
import {
  createHostVerifier,
  loadHostKeyPolicy,
  preferredHostKeyAlgorithms,
  remainingHostKeyAlgorithms,
  type HostKeyOutcome,
} from './check-host-key.ts';
import {
  describeConnectFailure,
  describeConnectTimeout,
  describeEarlyClose,
  type ConnectStage,
  type SshError,
} from './describe-connect-failure.ts';
import { describeHostKeyRefusal } from './describe-host-key-refusal.ts';
import { describeBastion, describeEndpoint, type Hop } from './hop.ts';
import { describeKeyType, type HostKey } from './host-key.ts';
import type { HostKeyPolicy } from './judge-host-key.ts';
import { prepareAuthentication, type Authentication } from './prepare-authentication.ts';
import { collectSecretTexts, scrubError } from './scrub-secrets.ts';
import { TunnelError } from './tunnel-error.ts';

/** ssh2 ends the connection after this many keepalives go unanswered. */
const keepaliveCountMax = 3;

export interface ConnectBastionOptions {
  logger: Logger;
  /** The home folder whose .ssh/known_hosts is the default. */
  homeDir: string;
  /** The SSH agent's socket, for `auth.kind === 'agent'`. */
  agentSocket: string | undefined;
  /**
   * For a bastion reached `via` another: that bastion's name, and how to open
   * a forwarded channel through it to this one. Called once per connection
   * attempt with the time left of this bastion's connect_timeout, which covers
   * the channel as it covers a TCP connection.
   */
  via?: { name: string; openChannel: (timeoutMs: number) => Promise<Duplex> };
}

/** An authenticated SSH connection to one bastion. */
export interface BastionConnection {
  client: ssh2.Client;
  hop: Hop;
}

/**
 * Opens one authenticated SSH connection to a bastion, over TCP or over a
 * channel through another bastion. The host key is checked before
 * authentication (fail closed: ssh2 would accept any key without a verifier),
 * and one deadline of connect_timeout covers TCP, handshake and
 * authentication together. Every failure is a TunnelError naming the hop;
 * nothing secret reaches it.
 */
export async function connectBastion(
  bastion: Bastion,
  options: ConnectBastionOptions,
): Promise<BastionConnection> {
  const secrets = collectSecretTexts(
    bastion.auth.kind === 'key' ? [bastion.auth.privateKey, bastion.auth.passphrase] : [],
  );
  let auth: Authentication;
  try {
    auth = prepareAuthentication(bastion, options.agentSocket);
  } catch (error) {
    throw scrubError(error, secrets);
  }
  const policy = await loadHostKeyPolicy(bastion, options.homeDir);
  const started = performance.now();
  const context = {
    bastion,
    options,
    auth,
    policy,
    secrets,
    deadline: started + bastion.connectTimeoutMs,
  };

  // A pin names one key, and a server presents one per handshake: the first
  // of our algorithms it has a key for (ed25519 before ECDSA before RSA). When
  // that key is not the pinned one, ask again for each key type not seen yet,
  // and call the key changed only once the server has none left. A pin of the
  // preferred key costs one handshake, like no pin.
  const mismatched: HostKey[] = [];
  let algorithms: HostKeyAlgorithms = { prefer: preferredHostKeyAlgorithms(policy) };
  for (;;) {
    const attempt = await attemptConnection(context, algorithms);
    if (attempt.kind === 'ready') {
      const hop: Hop = {
        bastion: bastion.name,
        endpoint: describeEndpoint(bastion),
        through: options.via?.name,
        connectedMs: Math.round(performance.now() - started),
        hostKey: attempt.presented?.fingerprint ?? '',
      };
      options.logger.debug(
        'tunnel',
        `connected to ${hop.endpoint} (bastion "${bastion.name}") in ${hop.connectedMs} ms, host key ${hop.hostKey}`,
      );
      return { client: attempt.client, hop };
    }

    if (attempt.kind === 'pin-mismatch') {
      mismatched.push(attempt.presented);
      options.logger.debug(
        'tunnel',
        `${describeBastion(bastion)} presented the ${describeKeyType(attempt.presented.type)} host key ${attempt.presented.fingerprint}, not the pinned one; asking for its other host keys`,
      );
    }
    // Each attempt rules out the type of key it saw. A type that maps to no
    // algorithm would rule out nothing and be asked for forever: stop there.
    const remaining = attempt.kind === 'pin-mismatch' ? remainingHostKeyAlgorithms(mismatched) : [];
    if (remaining.length === 0 || remaining.length >= (algorithms.only?.length ?? Infinity)) {
      throw describeHostKeyRefusal(bastion, {
        problem: 'changed',
        presented: mismatched[0]!,
        alsoPresented: mismatched.slice(1),
        expected: [{ type: mismatched[0]!.type, fingerprint: policy.pin!, origin: 'host_key' }],
        knownHostsFile: policy.knownHostsFile,
      });
    }
    algorithms = { only: remaining };
  }
}

/** Which host key algorithms an attempt asks for: known ones first, or only these. */
type HostKeyAlgorithms =
  { prefer: string[]; only?: undefined } | { only: string[]; prefer?: undefined };

/** How one connection attempt ended, when it did not fail outright. */
type Attempt =
  | { kind: 'ready'; client: ssh2.Client; presented: HostKey | undefined }
  /** The key presented is not the pinned one; the bastion may have another. */
  | { kind: 'pin-mismatch'; presented: HostKey }
  /** Asked for `only` algorithms, the bastion had a key of none of them. */
  | { kind: 'no-other-key' };

interface AttemptContext {
  bastion: Bastion;
  options: ConnectBastionOptions;
  auth: Authentication;
  policy: HostKeyPolicy;
  secrets: string[];
  /** When connect_timeout runs out, in performance.now() time. */
  deadline: number;
}

/**
 * One TCP connection (or forwarded channel), handshake and authentication.
 * Rejects with a TunnelError, scrubbed of secrets; a pin mismatch resolves,
 * so that the caller can ask for another key.
 */
function attemptConnection(
  context: AttemptContext,
  algorithms: HostKeyAlgorithms,
): Promise<Attempt> {
  const { bastion, options, auth, policy, secrets } = context;
  const hostKey: HostKeyOutcome = {};
  const client = new ssh2.Client();

  return new Promise((resolve, reject) => {
    let stage: ConnectStage = 'tcp';
    let settled = false;
    let isReady = false;
    let channel: Duplex | undefined;

    // Until the connection is ready, the first event that ends the attempt
    // decides its outcome and tears the connection down; later events only log.
    const finish = (outcome: Attempt | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof Error || outcome.kind !== 'ready') {
        client.destroy();
        // A failure before ssh2 took the channel over would leave it open.
        channel?.destroy();
      }
      if (outcome instanceof Error) reject(scrubError(outcome, secrets));
      else resolve(outcome);
    };
    const explain = (error: SshError | undefined): Attempt | Error => {
      if (hostKey.pinMismatch) return { kind: 'pin-mismatch', presented: hostKey.presented! };
      if (hostKey.refusal !== undefined) return hostKey.refusal;
      if (error === undefined) return describeEarlyClose(bastion, stage);
      if (algorithms.only !== undefined && /no matching host key format/i.test(error.message)) {
        return { kind: 'no-other-key' };
      }
      return describeConnectFailure(bastion, error, auth);
    };
    const timer = setTimeout(
      () => finish(describeConnectTimeout(bastion, stage)),
      Math.max(0, context.deadline - performance.now()),
    );

    client.on('connect', () => {
      stage = 'handshake';
      // Many sessions share this connection, each sending small packets (a
      // TLS record, a login message, a query). With Nagle's algorithm, each
      // would wait for the previous one's acknowledgement: a round trip
      // apiece on a WAN link. ssh2 leaves it on; OpenSSH's client turns it off
      // for interactive sessions, for the same reason.
      client.setNoDelay(true);
    });
    client.on('handshake', () => {
      stage = 'authentication';
    });
    // An ssh2 'error' without a listener would crash the process, so one is
    // attached for the connection's whole life.
    client.on('error', (error: SshError) => {
      if (!settled) {
        finish(explain(error));
        return;
      }
      scrubError(error, secrets);
      if (!isReady) return;
      options.logger.warn(
        'tunnel',
        `connection to ${describeEndpoint(bastion)} failed: ${error.message}`,
      );
    });
    client.on('close', () => {
      if (!settled) finish(explain(undefined));
    });
    client.on('ready', () => {
      isReady = true;
      finish({ kind: 'ready', client, presented: hostKey.presented });
    });

    const start = (sock: Duplex | undefined): void => {
      try {
        connectClient(client, bastion, {
          sock,
          auth,
          hostVerifier: createHostVerifier(bastion, policy, options.logger, hostKey),
          algorithms,
        });
      } catch (error) {
        // ssh2 validates its settings synchronously; nothing was sent yet.
        finish(describeConnectFailure(bastion, error as SshError, auth));
      }
    };
    if (options.via === undefined) {
      start(undefined);
      return;
    }
    // The outer bastion's connection to this one is the TCP step, under the
    // same deadline as the rest.
    options.via.openChannel(Math.max(0, context.deadline - performance.now())).then(
      (opened) => {
        if (settled) {
          opened.destroy();
          return;
        }
        channel = opened;
        start(opened);
      },
      (error: unknown) => {
        // The channel's own timer runs out with ours; ours names this bastion.
        const timedOut = error instanceof TunnelError && error.reason === 'channel-timeout';
        finish(timedOut ? describeConnectTimeout(bastion, 'tcp') : (error as Error));
      },
    );
  });
}

function connectClient(
  client: ssh2.Client,
  bastion: Bastion,
  settings: {
    sock: Duplex | undefined;
    auth: Authentication;
    hostVerifier: ReturnType<typeof createHostVerifier>;
    algorithms: HostKeyAlgorithms;
  },
): void {
  const { sock, auth, algorithms } = settings;
  const only = algorithms.only as ssh2.ServerHostKeyAlgorithm[] | undefined;
  const prefer = (algorithms.prefer ?? []) as ssh2.ServerHostKeyAlgorithm[];
  client.connect({
    host: bastion.host,
    port: bastion.port,
    username: bastion.user,
    ...(sock === undefined ? {} : { sock }),
    ...(auth.privateKey === undefined ? {} : { privateKey: auth.privateKey }),
    ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }),
    ...(auth.agent === undefined ? {} : { agent: auth.agent }),
    // ssh2 would first try the "none" method to learn which ones the server
    // accepts: a round trip that tells pgdest nothing, as it has one method.
    authHandler: [auth.agent === undefined ? 'publickey' : 'agent'],
    hostVerifier: settings.hostVerifier,
    // ssh2 only prepends algorithms missing from its list, so the preferred
    // ones are removed first.
    ...(only !== undefined
      ? { algorithms: { serverHostKey: only } }
      : prefer.length === 0
        ? {}
        : { algorithms: { serverHostKey: { remove: prefer, prepend: prefer, append: [] } } }),
    // Our own timer covers the whole connection; ssh2's would race it.
    readyTimeout: 0,
    keepaliveInterval: bastion.keepaliveIntervalMs,
    keepaliveCountMax,
  });
}
