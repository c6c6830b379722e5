import type { Config, Destination } from '../config/model.ts';
import { inspectSchemas } from '../database/inspect-schemas.ts';
import { probePrivileges, type ProbeRequest } from '../database/probe-privileges.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { Logger } from '../diagnostics/logger.ts';
import { diagnosticsOf } from '../refresh/refresh-actual.ts';
import type { DestinationState } from '../state/state.ts';
import type { DestinationCheck } from './check-report.ts';
import { decideEffectiveSchema, describeSchemaCheck } from './decide-effective-schema.ts';
import { judgePrivileges, notProven } from './judge-privileges.ts';
import { reachDestination, type ReachContext } from './reach-destination.ts';

export interface DestinationCheckContext extends ReachContext {
  logger: Logger;
  /** Limits for the probe's statements; the probe's defaults unless given. */
  probe?: Pick<ProbeRequest, 'lockTimeoutMs' | 'statementTimeoutMs'>;
  /** Told once the loader is logged in, before the catalog and the probe. */
  onReached?: () => void;
}

/**
 * Checks one destination: reaches it as the loader, reads the catalog to
 * decide the effective schema, and proves each declared privilege there in a
 * transaction that is rolled back. A destination that cannot be reached or
 * read gets a report that says where it stopped, with the diagnostics.
 */
export async function checkDestination(
  config: Config,
  destination: Destination,
  recorded: DestinationState | undefined,
  context: DestinationCheckContext,
): Promise<DestinationCheck> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const base = {
    name: destination.name,
    address: destination.address,
    login: destination.database.user,
  };
  const noTables = { names: [], count: 0 };

  // The way in: every bastion, then the loader's login.
  const reach = await reachDestination(config, destination, context);
  if (reach.kind === 'failed') {
    const failedHop = reach.hops.find((hop) => hop.status === 'failed');
    const where =
      failedHop === undefined
        ? 'the destination could not be reached'
        : `${failedHop.endpoint} failed`;
    return {
      ...base,
      reachable: false,
      ready: false,
      hops: reach.hops,
      privileges: notProven(destination.privileges, `Not tried: ${where}.`),
      foreignTables: noTables,
      elapsedMs: elapsed(),
      diagnostics: addressed(reach.diagnostics, destination.address),
    };
  }

  // The catalog, then the probe, on the session alone: no other destination's
  // statements may run inside the probe's transaction.
  context.onReached?.();
  try {
    const { actual, effective, probe } = await reach.session.exclusive(async (client) => {
      const [actual] = await inspectSchemas(client, [
        { loader: destination.database.user, schema: destination.schema },
      ]);
      const effective = decideEffectiveSchema(destination, actual!);
      if (effective.kind === 'missing') return { actual: actual!, effective, probe: undefined };
      const probe = await probePrivileges(client, {
        schema: effective.facts.name,
        privileges: destination.privileges,
        ...context.probe,
      });
      context.logger.debug(
        'check',
        `${destination.address}: probed schema "${probe.schema}" with table "${probe.table}", rolled back`,
      );
      return { actual: actual!, effective, probe };
    });

    const privileges = judgePrivileges({
      loader: destination.database.user,
      declared: destination.privileges,
      schema: effective,
      ...(probe !== undefined && { probe }),
    });
    const facts = effective.kind === 'schema' ? effective.facts : undefined;
    const schema = describeSchemaCheck(destination, effective, recorded);
    const ready =
      schema.effective !== undefined && privileges.every((privilege) => privilege.status === 'ok');
    return {
      ...base,
      reachable: true,
      ready,
      hops: reach.hops,
      serverVersion: actual.serverVersion,
      schema,
      privileges,
      foreignTables:
        facts === undefined
          ? noTables
          : { names: facts.foreignTables, count: facts.foreignTableCount },
      elapsedMs: elapsed(),
      diagnostics: [],
    };
  } catch (error) {
    // The session broke, or the catalog query failed: nothing was proven.
    const diagnostics = addressed(diagnosticsOf(error), destination.address);
    return {
      ...base,
      reachable: true,
      ready: false,
      hops: reach.hops,
      privileges: notProven(
        destination.privileges,
        `The check stopped: ${diagnostics[0]?.summary ?? 'the session failed'}.`,
      ),
      foreignTables: noTables,
      elapsedMs: elapsed(),
      diagnostics,
    };
  }
}

function addressed(diagnostics: readonly Diagnostic[], address: string): Diagnostic[] {
  return diagnostics.map((diagnostic) => ({
    ...diagnostic,
    address: diagnostic.address ?? address,
  }));
}
