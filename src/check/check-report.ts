import type { Privilege } from '../config/model.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';

/*
 * What `pgdest check` found: plain data that the human, JSON and markdown
 * views render. Times are in milliseconds and rounded.
 */

export type HopStatus = 'ok' | 'failed' | 'not-tried';

/** One hop on the way to the database: a bastion, or the database login at the end. */
export interface CheckHop {
  kind: 'bastion' | 'database';
  /** The bastion's name in the configuration, or the database's name. */
  name: string;
  /** `user@host:port` for a bastion; `user@host:port/database` for the login, the host as the bastion sees it. */
  endpoint: string;
  /** The `SHA256:` fingerprint the bastion presented. */
  hostKey?: string;
  status: HopStatus;
  /** How long the hop took to connect (a bastion) or to open and log in (the database). */
  elapsedMs?: number;
  /** For a failed hop: the summary of the diagnostic that says why. */
  failure?: string;
}

/** Where the loader writes, as check found it. */
export interface SchemaCheck {
  /** The schema the configuration asks for. */
  declared: string;
  /** The schema the privileges were proven in; absent when there is none to write into. */
  effective?: string;
  /** Whether `effective` is public after the documented fallback. */
  fallback: boolean;
  /** The effective schema's owner. */
  owner?: string;
  /** Why there is no effective schema, when there is none. */
  problem?: string;
  /** What state recorded for the destination, when it holds it, and whether that matches. */
  recorded?: { effective: string; fallback: boolean; agrees: boolean };
}

/** What PostgreSQL answered when a step was refused. */
export interface CheckError {
  message: string;
  /** The SQLSTATE, such as `42501`. */
  code?: string;
  detail?: string;
  hint?: string;
}

/**
 * `not-proven`: the step could not be tried (no table to try it on, or the
 * destination could not be reached). It counts as failing.
 */
export type PrivilegeStatus = 'ok' | 'failed' | 'not-proven';

/** One declared privilege and how proving it went. */
export interface PrivilegeCheck {
  privilege: Privilege;
  status: PrivilegeStatus;
  /** The statement that was run (or would have been) to prove it. */
  statement?: string;
  elapsedMs?: number;
  /** PostgreSQL's answer, for a failed step. */
  error?: CheckError;
  /** Why it failed or was not proven, in a sentence. */
  reason?: string;
  /** The statement an administrator would run to fix it, when one would. */
  grant?: string;
  /** What to do, in a sentence; it quotes `grant` when there is one. */
  hint?: string;
}

/** The tables, views and sequences in the effective schema that the loader does not own. */
export interface ForeignTables {
  /** The first few by name. */
  names: string[];
  /** How many there are in all. */
  count: number;
}

/** One destination's report. */
export interface DestinationCheck {
  name: string;
  address: string;
  /** The login check used: always the loader's (`database.user`), never the admin. */
  login: string;
  /** Whether the loader logged in. */
  reachable: boolean;
  /** Reachable, an effective schema, and every declared privilege proven. */
  ready: boolean;
  /** Outermost bastion first, the database login last. */
  hops: CheckHop[];
  serverVersion?: string;
  /** Absent when the destination could not be reached. */
  schema?: SchemaCheck;
  /** The declared privileges, in the order they were proven. */
  privileges: PrivilegeCheck[];
  foreignTables: ForeignTables;
  elapsedMs: number;
  /** Why the destination could not be reached or checked; warnings too. */
  diagnostics: Diagnostic[];
}

export interface CheckReport {
  destinations: DestinationCheck[];
  /** Warnings about the run itself, such as state that could not be read. */
  diagnostics: Diagnostic[];
}

/** `{ checked, ready, failing }`, for the closing line. */
export function countReady(report: CheckReport): {
  checked: number;
  ready: number;
  failing: number;
} {
  const ready = report.destinations.filter((destination) => destination.ready).length;
  return {
    checked: report.destinations.length,
    ready,
    failing: report.destinations.length - ready,
  };
}

/** Whether every destination proved every declared privilege. */
export function isReportReady(report: CheckReport): boolean {
  return report.destinations.every((destination) => destination.ready);
}
