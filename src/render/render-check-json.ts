import {
  countReady,
  isReportReady,
  type CheckHop,
  type CheckReport,
  type DestinationCheck,
  type PrivilegeCheck,
  type SchemaCheck,
} from '../check/check-report.ts';
import type { Privilege } from '../config/model.ts';
import { toDiagnosticJson, type DiagnosticJson } from './diagnostics-json.ts';

/*
 * The JSON document of `pgdest check --format json`, described by
 * schemas/check.schema.json. snake_case, every field always present (null
 * when it does not apply), so that scripts can read it without guessing.
 * A change that breaks readers raises format_version.
 */

export interface CheckJson {
  format_version: 1;
  /** Every destination proved every declared privilege; the exit code is 0 exactly then. */
  ready: boolean;
  summary: { checked: number; ready: number; failing: number };
  destinations: DestinationCheckJson[];
  diagnostics: DiagnosticJson[];
}

export interface DestinationCheckJson {
  name: string;
  address: string;
  login: string;
  reachable: boolean;
  ready: boolean;
  elapsed_ms: number;
  server_version: string | null;
  hops: HopJson[];
  schema: SchemaJson | null;
  privileges: PrivilegeJson[];
  foreign_tables: { count: number; names: string[] };
  diagnostics: DiagnosticJson[];
}

export interface HopJson {
  kind: 'bastion' | 'database';
  name: string;
  endpoint: string;
  host_key: string | null;
  status: 'ok' | 'failed' | 'not-tried';
  elapsed_ms: number | null;
  failure: string | null;
}

export interface SchemaJson {
  declared: string;
  effective: string | null;
  fallback: boolean;
  owner: string | null;
  problem: string | null;
  recorded: { effective: string; fallback: boolean; agrees: boolean } | null;
}

export interface PrivilegeJson {
  privilege: Privilege;
  status: 'ok' | 'failed' | 'not-proven';
  statement: string | null;
  elapsed_ms: number | null;
  error: {
    message: string;
    sqlstate: string | null;
    detail: string | null;
    hint: string | null;
  } | null;
  reason: string | null;
  grant: string | null;
  hint: string | null;
}

/** The report as its JSON document. */
export function toCheckJson(report: CheckReport): CheckJson {
  return {
    format_version: 1,
    ready: isReportReady(report),
    summary: countReady(report),
    destinations: report.destinations.map(toDestinationJson),
    diagnostics: report.diagnostics.map(toDiagnosticJson),
  };
}

function toDestinationJson(check: DestinationCheck): DestinationCheckJson {
  return {
    name: check.name,
    address: check.address,
    login: check.login,
    reachable: check.reachable,
    ready: check.ready,
    elapsed_ms: check.elapsedMs,
    server_version: check.serverVersion ?? null,
    hops: check.hops.map(toHopJson),
    schema: check.schema === undefined ? null : toSchemaJson(check.schema),
    privileges: check.privileges.map(toPrivilegeJson),
    foreign_tables: { count: check.foreignTables.count, names: check.foreignTables.names },
    diagnostics: check.diagnostics.map(toDiagnosticJson),
  };
}

function toHopJson(hop: CheckHop): HopJson {
  return {
    kind: hop.kind,
    name: hop.name,
    endpoint: hop.endpoint,
    host_key: hop.hostKey ?? null,
    status: hop.status,
    elapsed_ms: hop.elapsedMs ?? null,
    failure: hop.failure ?? null,
  };
}

function toSchemaJson(schema: SchemaCheck): SchemaJson {
  return {
    declared: schema.declared,
    effective: schema.effective ?? null,
    fallback: schema.fallback,
    owner: schema.owner ?? null,
    problem: schema.problem ?? null,
    recorded: schema.recorded ?? null,
  };
}

function toPrivilegeJson(privilege: PrivilegeCheck): PrivilegeJson {
  const { error } = privilege;
  return {
    privilege: privilege.privilege,
    status: privilege.status,
    statement: privilege.statement ?? null,
    elapsed_ms: privilege.elapsedMs ?? null,
    error:
      error === undefined
        ? null
        : {
            message: error.message,
            sqlstate: error.code ?? null,
            detail: error.detail ?? null,
            hint: error.hint ?? null,
          },
    reason: privilege.reason ?? null,
    grant: privilege.grant ?? null,
    hint: privilege.hint ?? null,
  };
}
