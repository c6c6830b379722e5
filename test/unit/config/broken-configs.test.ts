import { describe, expect, it } from 'vitest';
import schema from '../../../schemas/pgdest.schema.json' with { type: 'json' };
import { toDiagnosticJson } from '../../../src/render/diagnostics-json.ts';
import { renderDiagnostics } from '../../../src/render/render-diagnostics.ts';
import { fixtureEnvironment, loadText, validConfig } from './load-fixture.ts';

/*
 * Each case breaks the valid fixture config in one way and names the
 * diagnostic the user must see: its summary, where it points (line, column,
 * YAML path), and for some the hint. The valid fixture, line by line:
 *
 *   1 version: 1
 *   2 bastions:
 *   3   main:
 *   4     host: bastion.example.com
 *   5     user: tunnel
 *   6     private_key: ${env:BASTION_PEM}
 *   7     host_key: SHA256:Wm3x...
 *   8 destinations:
 *   9   warehouse:
 *  10     bastion: main
 *  11     database:
 *  12       host: 10.0.1.5
 *  13       name: analytics
 *  14       user: loader
 *  15       password: ${env:WAREHOUSE_PASSWORD}
 *  16     schema: kondado
 */

const lines = validConfig.trimEnd().split('\n');

/** The fixture with lines replaced (by number), removed (null) or added at the end. */
function edit(changes: Record<number, string | string[] | null>, ...appended: string[]): string {
  const out: string[] = [];
  lines.forEach((line, index) => {
    const change = changes[index + 1];
    if (change === undefined) out.push(line);
    else if (change !== null) out.push(...(Array.isArray(change) ? change : [change]));
  });
  return `${[...out, ...appended].join('\n')}\n`;
}

const longName = 'x'.repeat(64);
const postgresState = [
  'state:',
  '  backend: postgres',
  '  database:',
  '    host: 10.0.1.9',
  '    name: ops',
  '    user: pgdest',
];
const noKnownHosts = fixtureEnvironment({ fileExists: () => false });
const noVariables = fixtureEnvironment({ env: {} });

interface Case {
  key: string;
  text: string;
  summary: string;
  severity?: 'error' | 'warning';
  line: number;
  column: number;
  path: string;
  hint?: string | RegExp;
  environment?: ReturnType<typeof fixtureEnvironment>;
}

const cases: Case[] = [
  // The file as a whole
  { key: 'empty file', text: '', summary: 'Empty config file', line: 1, column: 1, path: '' },
  {
    key: 'a comment only',
    text: '# nothing yet\n',
    summary: 'Empty config file',
    line: 1,
    column: 1,
    path: '',
  },
  {
    key: 'not a mapping',
    text: '- version: 1\n',
    summary: 'Config is not a mapping',
    line: 1,
    column: 1,
    path: '',
  },
  {
    key: 'several documents',
    text: edit({}, '---', 'version: 1'),
    summary: 'Several documents in one file',
    line: 17,
    column: 1,
    path: '',
  },
  {
    key: 'duplicate key',
    text: edit({ 16: ['    schema: kondado', '    schema: other'] }),
    summary: 'Duplicate key',
    line: 17,
    column: 5,
    path: 'destinations.warehouse.schema',
  },
  {
    key: 'duplicate destination',
    text: edit({}, '  warehouse:', '    database: {host: h, name: n, user: u}'),
    summary: 'Duplicate key',
    line: 17,
    column: 3,
    path: 'destinations.warehouse',
  },
  {
    key: 'bad syntax',
    text: edit({ 13: '      name: "analytics' }),
    summary: 'Invalid YAML',
    line: 13,
    column: 13,
    path: 'destinations.warehouse.database.name',
    hint: 'Add the closing `"` where the value ends.',
  },
  {
    key: 'unclosed quote in a list',
    text: edit({}, "    privileges: ['INSERT, SELECT]"),
    summary: 'Invalid YAML',
    line: 17,
    column: 18,
    path: 'destinations.warehouse.privileges[0]',
    hint: "Add the closing `'` where the value ends.",
  },
  {
    key: 'tab indentation',
    text: edit({ 16: '\tschema: kondado' }),
    summary: 'Invalid YAML',
    line: 16,
    column: 1,
    path: '',
  },
  {
    key: 'flow mapping left open',
    text: edit({
      11: '    database: {host: 10.0.1.5, name: analytics, user: loader',
      12: null,
      13: null,
      14: null,
      15: null,
    }),
    summary: 'Invalid YAML',
    line: 11,
    column: 15,
    path: 'destinations.warehouse.database',
    hint: /closing `\}`/,
  },
  {
    key: 'syntax error after a value',
    text: edit({ 13: '      name: analytics: x' }),
    summary: 'Invalid YAML',
    line: 13,
    column: 13,
    path: 'destinations.warehouse.database.name',
  },
  {
    key: 'complex key',
    text: edit({}, '? [a, b]', ': 1'),
    summary: 'Unknown key "a,b"',
    line: 17,
    column: 3,
    path: 'a,b',
  },
  {
    key: 'alias bomb',
    text: edit(
      {},
      '    privileges: &a [INSERT, INSERT, INSERT, INSERT, INSERT, INSERT, INSERT, INSERT]',
      ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map(
        (name, level) =>
          `  ${name}: &${name} [${new Array(8).fill(`*${String.fromCharCode(97 + level)}`).join(', ')}]`,
      ),
    ),
    summary: 'Aliases expand too far',
    line: 24,
    column: 10,
    path: 'destinations.h[0]',
  },
  {
    key: 'alias inside its own anchor',
    text: edit({ 16: '    schema: kondado', 17: null }, '    privileges: &p [INSERT, *p]'),
    summary: 'Alias inside its own anchor',
    line: 17,
    column: 29,
    path: 'destinations.warehouse.privileges[1]',
  },

  // Top-level keys
  {
    key: 'version',
    text: edit({ 1: 'version: 2' }),
    summary: 'Unsupported config version',
    line: 1,
    column: 10,
    path: 'version',
    hint: 'Write `version: 1`.',
  },
  {
    key: 'version missing',
    text: edit({ 1: null }),
    summary: 'Missing key "version"',
    line: 1,
    column: 1,
    path: '',
  },
  {
    key: 'unknown top-level key',
    text: edit({}, 'stat:', '  backend: local'),
    summary: 'Unknown key "stat"',
    line: 17,
    column: 1,
    path: 'stat',
    hint: 'Did you mean "state"?',
  },
  {
    key: 'bastions',
    text: edit({ 2: 'bastions: main', 3: null, 4: null, 5: null, 6: null, 7: null }),
    summary: 'Wrong type for bastions',
    line: 2,
    column: 11,
    path: 'bastions',
  },
  {
    key: 'destinations',
    text: edit({
      8: 'destinations:',
      9: '  - warehouse',
      10: null,
      11: null,
      12: null,
      13: null,
      14: null,
      15: null,
      16: null,
    }),
    summary: 'Wrong type for destinations',
    line: 9,
    column: 3,
    path: 'destinations',
  },

  // Bastions
  {
    key: 'bastion name',
    text: edit({ 3: '  Main:', 10: '    bastion: Main' }),
    summary: 'Invalid name "Main"',
    line: 3,
    column: 3,
    path: 'bastions.Main',
    hint: 'Write it as "main".',
  },
  {
    key: 'host missing',
    text: edit({ 4: null }),
    summary: 'Missing key "host"',
    line: 3,
    column: 3,
    path: 'bastions.main',
  },
  {
    key: 'host empty',
    text: edit({ 4: '    host: ""' }),
    summary: 'Empty host',
    line: 4,
    column: 11,
    path: 'bastions.main.host',
  },
  {
    key: 'port out of range',
    text: edit({ 5: ['    user: tunnel', '    port: 70000'] }),
    summary: 'Port out of range',
    line: 6,
    column: 11,
    path: 'bastions.main.port',
  },
  {
    key: 'port as a string',
    text: edit({ 5: ['    user: tunnel', '    port: "22"'] }),
    summary: 'Wrong type for port',
    line: 6,
    column: 11,
    path: 'bastions.main.port',
  },
  {
    key: 'user missing',
    text: edit({ 5: null }),
    summary: 'Missing key "user"',
    line: 3,
    column: 3,
    path: 'bastions.main',
  },
  {
    key: 'private_key as a number',
    text: edit({ 6: '    private_key: 12345' }),
    summary: 'Wrong type for private_key',
    line: 6,
    column: 18,
    path: 'bastions.main.private_key',
    hint: /\$\{env:NAME\}/,
  },
  {
    key: 'private_key and private_key_file',
    text: edit({
      6: ['    private_key: ${env:BASTION_PEM}', '    private_key_file: ~/.ssh/id_ed25519'],
    }),
    summary: 'Several ways to authenticate',
    line: 3,
    column: 3,
    path: 'bastions.main',
    hint: 'Keep one of them.',
  },
  {
    key: 'private_key_file empty',
    text: edit({ 6: '    private_key_file: ""' }),
    summary: 'Empty private_key_file',
    line: 6,
    column: 23,
    path: 'bastions.main.private_key_file',
  },
  {
    key: 'no authentication',
    text: edit({ 6: null }),
    summary: 'No way to authenticate',
    line: 3,
    column: 3,
    path: 'bastions.main',
    hint: /agent: true/,
  },
  {
    key: 'agent not a boolean',
    text: edit({ 6: '    agent: "yes"' }),
    summary: 'Wrong type for agent',
    line: 6,
    column: 12,
    path: 'bastions.main.agent',
  },
  {
    key: 'agent false',
    text: edit({ 6: '    agent: false' }),
    summary: 'No way to authenticate',
    line: 3,
    column: 3,
    path: 'bastions.main',
  },
  {
    key: 'passphrase with the agent',
    text: edit({ 6: ['    agent: true', '    passphrase: ${env:BASTION_PEM}'] }),
    summary: 'Passphrase without a key',
    severity: 'warning',
    line: 7,
    column: 5,
    path: 'bastions.main.passphrase',
  },
  {
    key: 'passphrase malformed',
    text: edit({ 6: ['    private_key: ${env:BASTION_PEM}', '    passphrase: pre${env:X}'] }),
    summary: 'Malformed secret reference in passphrase',
    line: 7,
    column: 17,
    path: 'bastions.main.passphrase',
  },
  {
    key: 'host_key',
    text: edit({ 7: '    host_key: MD5:16:27:ac:a5:76:28:2d:36' }),
    summary: 'Invalid host key fingerprint',
    line: 7,
    column: 15,
    path: 'bastions.main.host_key',
    hint: /ssh-keygen -lf/,
  },
  {
    key: 'known_hosts missing file',
    text: edit({ 7: '    known_hosts: keys/known_hosts' }),
    summary: 'known_hosts file not found',
    line: 7,
    column: 18,
    path: 'bastions.main.known_hosts',
  },
  {
    key: 'host_key_check',
    text: edit({
      7: [
        '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
        '    host_key_check: strcit',
      ],
    }),
    summary: 'Invalid host_key_check "strcit"',
    line: 8,
    column: 21,
    path: 'bastions.main.host_key_check',
    hint: 'Did you mean "strict"?',
  },
  {
    key: 'host_key_check off',
    text: edit({ 7: '    host_key_check: off' }),
    summary: 'Host key checking is off',
    severity: 'warning',
    line: 7,
    column: 21,
    path: 'bastions.main.host_key_check',
  },
  {
    key: 'strict with nothing to check against',
    text: edit({ 7: null }),
    environment: noKnownHosts,
    summary: 'Nothing to check the host key against',
    line: 3,
    column: 3,
    path: 'bastions.main',
    hint: /host_key_check: accept-new/,
  },
  {
    key: 'via unknown',
    text: edit({
      7: ['    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z', '    via: outer'],
    }),
    summary: 'Unknown bastion "outer"',
    line: 8,
    column: 10,
    path: 'bastions.main.via',
  },
  {
    key: 'via itself',
    text: edit({
      7: ['    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z', '    via: main'],
    }),
    summary: 'Bastions reach each other in a cycle',
    line: 8,
    column: 10,
    path: 'bastions.main.via',
  },
  {
    key: 'via cycle',
    text: edit({
      7: [
        '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
        '    via: edge',
        '  edge:',
        '    host: edge.example.com',
        '    user: jump',
        '    agent: true',
        '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
        '    via: main',
      ],
    }),
    summary: 'Bastions reach each other in a cycle',
    line: 8,
    column: 10,
    path: 'bastions.main.via',
  },
  {
    key: 'via name',
    text: edit({
      7: ['    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z', '    via: Edge'],
    }),
    summary: 'Invalid via name "Edge"',
    line: 8,
    column: 10,
    path: 'bastions.main.via',
  },
  {
    key: 'connect_timeout',
    text: edit({ 5: ['    user: tunnel', '    connect_timeout: 20 s'] }),
    summary: 'Invalid duration for connect_timeout',
    line: 6,
    column: 22,
    path: 'bastions.main.connect_timeout',
  },
  {
    key: 'keepalive_interval',
    text: edit({ 5: ['    user: tunnel', '    keepalive_interval: 15'] }),
    summary: 'Wrong type for keepalive_interval',
    line: 6,
    column: 25,
    path: 'bastions.main.keepalive_interval',
  },
  {
    key: 'private_key of a bastion with a schema error',
    text: edit({ 5: ['    user: tunnel', '    hostkey_check: strict'] }),
    environment: noVariables,
    summary: 'Environment variable BASTION_PEM is not set',
    severity: 'warning',
    line: 7,
    column: 18,
    path: 'bastions.main.private_key',
  },
  {
    key: 'unknown bastion key',
    text: edit({ 5: ['    user: tunnel', '    prot: 2222'] }),
    summary: 'Unknown key "prot"',
    line: 6,
    column: 5,
    path: 'bastions.main.prot',
    hint: 'Did you mean "port"?',
  },

  // Destinations
  {
    key: 'destination name',
    text: edit({ 9: '  Ware House:' }),
    summary: 'Invalid name "Ware House"',
    line: 9,
    column: 3,
    path: 'destinations.Ware House',
    hint: 'Write it as "ware_house".',
  },
  {
    key: 'bastion unknown',
    text: edit({ 10: '    bastion: mian' }),
    summary: 'Unknown bastion "mian"',
    line: 10,
    column: 14,
    path: 'destinations.warehouse.bastion',
    hint: 'Did you mean "main"?',
  },
  {
    key: 'database missing',
    text: edit({ 11: null, 12: null, 13: null, 14: null, 15: null }),
    summary: 'Missing key "database"',
    line: 9,
    column: 3,
    path: 'destinations.warehouse',
  },
  {
    key: 'misspelt secret key',
    text: edit({ 15: '      pasword: hunter2-canary' }),
    summary: 'Unknown key "pasword"',
    line: 15,
    column: 7,
    path: 'destinations.warehouse.database.pasword',
    hint: 'Did you mean "password"?',
  },
  {
    key: 'database misspelt key',
    text: edit({ 12: ['      host: 10.0.1.5', '      prot: 5432'] }),
    summary: 'Unknown key "prot"',
    line: 13,
    column: 7,
    path: 'destinations.warehouse.database.prot',
    hint: 'Did you mean "port"?',
  },
  {
    key: 'password of a destination with a schema error',
    text: edit({ 12: ['      host: 10.0.1.5', '      prot: 5432'] }),
    environment: noVariables,
    summary: 'Environment variable WAREHOUSE_PASSWORD is not set',
    severity: 'warning',
    line: 16,
    column: 17,
    path: 'destinations.warehouse.database.password',
  },
  {
    key: 'password outside database',
    text: edit({ 15: '    password: ${env:WAREHOUSE_PASSWORD}' }),
    summary: 'Unknown key "password"',
    line: 15,
    column: 5,
    path: 'destinations.warehouse.password',
    hint: 'Did you mean to put it under `database:`?',
  },
  {
    key: 'database host missing',
    text: edit({ 12: null }),
    summary: 'Missing key "host"',
    line: 11,
    column: 5,
    path: 'destinations.warehouse.database',
  },
  {
    key: 'database port',
    text: edit({ 12: ['      host: 10.0.1.5', '      port: 0'] }),
    summary: 'Port out of range',
    line: 13,
    column: 13,
    path: 'destinations.warehouse.database.port',
  },
  {
    key: 'database name too long',
    text: edit({ 13: `      name: ${longName}` }),
    summary: 'Database name longer than 63 bytes',
    line: 13,
    column: 13,
    path: 'destinations.warehouse.database.name',
  },
  {
    key: 'database user with NUL',
    text: edit({ 14: '      user: "load\\0er"' }),
    summary: 'NUL character in user name',
    line: 14,
    column: 13,
    path: 'destinations.warehouse.database.user',
  },
  {
    key: 'database password literal',
    text: edit({ 15: '      password: hunter2-canary' }),
    summary: 'Literal secret in password',
    severity: 'warning',
    line: 15,
    column: 17,
    path: 'destinations.warehouse.database.password',
  },
  {
    key: 'database password bad variable name',
    text: edit({ 15: '      password: ${env:1PASSWORD}' }),
    summary: 'Invalid environment variable name "1PASSWORD"',
    line: 15,
    column: 17,
    path: 'destinations.warehouse.database.password',
  },
  {
    key: 'database password file missing',
    text: edit({ 15: '      password: ${file:secrets/none}' }),
    summary: 'Secret file not found',
    severity: 'warning',
    line: 15,
    column: 17,
    path: 'destinations.warehouse.database.password',
  },
  {
    key: 'ssl',
    text: edit({ 15: ['      password: ${env:WAREHOUSE_PASSWORD}', '      ssl: required'] }),
    summary: 'Invalid ssl "required"',
    line: 16,
    column: 12,
    path: 'destinations.warehouse.database.ssl',
    hint: 'Did you mean "require"?',
  },
  {
    key: 'ssl_root_cert without verify-full',
    text: edit({
      15: ['      password: ${env:WAREHOUSE_PASSWORD}', '      ssl_root_cert: ca.pem'],
    }),
    summary: 'ssl_root_cert is not used',
    severity: 'warning',
    line: 16,
    column: 7,
    path: 'destinations.warehouse.database.ssl_root_cert',
  },
  {
    key: 'schema too long',
    text: edit({ 16: `    schema: ${'é'.repeat(32)}` }),
    summary: 'Schema name longer than 63 bytes',
    line: 16,
    column: 13,
    path: 'destinations.warehouse.schema',
  },
  {
    key: 'schema empty',
    text: edit({ 16: '    schema: ""' }),
    summary: 'Empty schema',
    line: 16,
    column: 13,
    path: 'destinations.warehouse.schema',
  },
  {
    key: 'schema_fallback',
    text: edit({}, '    schema_fallback: private'),
    summary: 'Invalid schema_fallback "private"',
    line: 17,
    column: 22,
    path: 'destinations.warehouse.schema_fallback',
  },
  {
    key: 'privileges lowercase',
    text: edit({}, '    privileges: [insert, SELECT]'),
    summary: 'Invalid privilege "insert"',
    line: 17,
    column: 18,
    path: 'destinations.warehouse.privileges[0]',
    hint: 'Did you mean "INSERT"?',
  },
  {
    key: 'privileges duplicate',
    text: edit({}, '    privileges: [INSERT, INSERT]'),
    summary: 'Duplicate privilege "INSERT"',
    line: 17,
    column: 26,
    path: 'destinations.warehouse.privileges[1]',
  },
  {
    key: 'privileges empty',
    text: edit({}, '    privileges: []'),
    summary: 'Empty privileges',
    line: 17,
    column: 17,
    path: 'destinations.warehouse.privileges',
  },
  {
    key: 'admin user missing',
    text: edit({}, '    admin:', '      password: ${env:ADMIN_PASSWORD}'),
    summary: 'Missing key "user"',
    line: 17,
    column: 5,
    path: 'destinations.warehouse.admin',
  },
  {
    key: 'admin user too long',
    text: edit({}, '    admin:', `      user: ${longName}`),
    summary: 'Admin user name longer than 63 bytes',
    line: 18,
    column: 13,
    path: 'destinations.warehouse.admin.user',
  },
  {
    key: 'admin password as a number',
    text: edit({}, '    admin:', '      user: postgres', '      password: 1234'),
    summary: 'Wrong type for password',
    line: 19,
    column: 17,
    path: 'destinations.warehouse.admin.password',
  },
  {
    key: 'on_delete',
    text: edit({}, '    on_delete: destroy'),
    summary: 'Invalid on_delete "destroy"',
    line: 17,
    column: 16,
    path: 'destinations.warehouse.on_delete',
  },
  {
    key: 'on_delete drop on public',
    text: edit({ 16: '    schema: public' }, '    on_delete: drop'),
    summary: 'on_delete: drop on the public schema',
    line: 17,
    column: 16,
    path: 'destinations.warehouse.on_delete',
  },

  // State
  {
    key: 'backend',
    text: edit({}, 'state:', '  backend: s3'),
    summary: 'Invalid backend "s3"',
    line: 18,
    column: 12,
    path: 'state.backend',
  },
  {
    key: 'path with the postgres backend',
    text: edit({}, ...postgresState, '  path: state.json'),
    summary: 'Key "path" does not apply to the postgres backend',
    line: 23,
    column: 3,
    path: 'state.path',
  },
  {
    key: 'postgres backend without database',
    text: edit({}, 'state:', '  backend: postgres'),
    summary: 'Missing key "database"',
    line: 17,
    column: 1,
    path: 'state',
  },
  {
    key: 'database with the local backend',
    text: edit({}, 'state:', '  database:', '    host: h', '    name: n', '    user: u'),
    summary: 'Key "database" does not apply to the local backend',
    line: 18,
    column: 3,
    path: 'state.database',
  },
  {
    key: 'state bastion unknown',
    text: edit({}, ...postgresState, '  bastion: jump'),
    summary: 'Unknown bastion "jump"',
    line: 23,
    column: 12,
    path: 'state.bastion',
  },
  {
    key: 'state schema too long',
    text: edit({}, ...postgresState, `  schema: ${longName}`),
    summary: 'Schema name longer than 63 bytes',
    line: 23,
    column: 11,
    path: 'state.schema',
  },
  {
    key: 'state key name',
    text: edit({}, ...postgresState, '  key: Prod'),
    summary: 'Invalid key name "Prod"',
    line: 23,
    column: 8,
    path: 'state.key',
  },
  {
    key: 'path empty',
    text: edit({}, 'state:', '  path: ""'),
    summary: 'Empty path',
    line: 18,
    column: 9,
    path: 'state.path',
  },
];

describe('a broken config', () => {
  it.each(cases)(
    '$key: $summary',
    ({ text, summary, severity = 'error', line, column, path, hint, environment }) => {
      const { diagnostics, config } = loadText(text, 'offline', environment);
      const found = diagnostics.find((d) => d.summary === summary);
      expect(
        found,
        `diagnostics were: ${diagnostics.map((d) => d.summary).join('; ')}`,
      ).toBeDefined();
      expect(found!.severity).toBe(severity);
      expect(found!.source).toMatchObject({ file: '/configs/pgdest.yaml', line, column, path });
      if (hint !== undefined) expect(found!.hint).toMatch(hint);
      if (severity === 'error') expect(config).toBeUndefined();
      for (const diagnostic of diagnostics) {
        expect(diagnostic.source, `every problem has a place: ${diagnostic.summary}`).toBeDefined();
        expect(
          diagnostic.hint,
          `every problem says what to do: ${diagnostic.summary}`,
        ).toBeTruthy();
      }
    },
  );

  it('covers every key of the schema', () => {
    const keys = new Set<string>();
    const collect = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      if (properties) for (const key of Object.keys(properties)) keys.add(key);
      for (const child of Object.values(node)) collect(child);
    };
    collect(schema);
    const covered = new Set(
      cases.flatMap((c) => [...c.path.replace(/\[\d+\]/g, '').split('.'), ...c.key.split(' ')]),
    );
    expect([...keys].filter((key) => !covered.has(key))).toEqual([]);
  });

  it('never shows a literal secret in a snippet', () => {
    const literal = loadText(edit({ 4: null, 15: '      password: hunter2-canary' })).diagnostics;
    expect(literal.find((d) => d.summary === 'Literal secret in password')!.source!.snippet).toBe(
      '      password: **************',
    );
    const mistyped = loadText(edit({ 15: '      password: 8675309' })).diagnostics;
    expect(mistyped.find((d) => d.summary === 'Wrong type for password')!.source!.snippet).toBe(
      '      password: *******',
    );
    expect(JSON.stringify([...literal, ...mistyped])).not.toMatch(/hunter2-canary|8675309/);
  });

  const pemBlock = ['    private_key: |', '      -----BEGIN OPENSSH PRIVATE KEY-----'];
  it.each([
    {
      key: 'under a misspelt secret key',
      text: edit({ 15: '      pasword: hunter2-canary' }),
      shown: [15, '      pasword: **************'],
    },
    {
      key: 'under a secret key written in capitals',
      text: edit({ 15: '      Password: hunter2-canary' }),
      shown: [15, '      Password: **************'],
    },
    {
      key: 'under an unknown key that names a password',
      text: edit({ 15: '      db_password: hunter2-canary' }),
      shown: [15, '      db_password: **************'],
    },
    {
      key: 'before a syntax error on its line',
      text: edit({ 15: '      password: hunter2-canary: x' }),
      shown: [15, '      password: *****************'],
    },
    {
      key: 'in a flow mapping left open',
      text: edit({
        11: '    database: {host: 10.0.1.5, name: analytics, user: loader, password: hunter2-canary',
        12: null,
        13: null,
        14: null,
        15: null,
      }),
      shown: [
        11,
        '    database: {host: 10.0.1.5, name: analytics, user: loader, password: **************',
      ],
    },
    {
      key: 'in a flow mapping with a syntax error after it',
      text: edit({
        11: '    database: {host: 10.0.1.5, name: analytics, user: loader, password: hunter2-canary}}',
        12: null,
        13: null,
        14: null,
        15: null,
      }),
      shown: [
        11,
        '    database: {host: 10.0.1.5, name: analytics, user: loader, password: ****************',
      ],
    },
    {
      key: 'in a private key block with a line indented too little',
      text: edit({ 6: [...pemBlock, '      hunter2-canary', '     hunter2-canary: x'] }),
      shown: [9, '     *****************'],
    },
    {
      key: 'in a private key block with a line indented by a tab',
      text: edit({
        6: [...pemBlock, '\thunter2-canary', '      -----END OPENSSH PRIVATE KEY-----'],
      }),
      shown: [8, '***************'],
    },
    {
      key: 'after a quote left open',
      text: edit({ 15: "      password: 'hunter2-canary" }),
      shown: [15, "      password: '**************"],
    },
    {
      key: 'in a file that is not a mapping',
      text: '- password: hunter2-canary\n',
      shown: [1, '- password: **************'],
    },
    {
      key: 'under a key written twice',
      text: edit({ 15: ['      password: hunter2-canary', '      password: hunter2-canary'] }),
      shown: [16, '      password: **************'],
    },
  ])('never shows a literal secret $key, human or JSON', ({ text, shown: [line, snippet] }) => {
    const { diagnostics } = loadText(text);
    expect(diagnostics.map((d) => [d.source?.line, d.source?.snippet])).toContainEqual([
      line,
      snippet,
    ]);
    const human = renderDiagnostics(diagnostics);
    const json = JSON.stringify(diagnostics.map(toDiagnosticJson));
    for (const output of [human, json, JSON.stringify(diagnostics)])
      expect(output).not.toContain('hunter2-canary');
  });

  it('reports one error for one syntax mistake, not the ones that follow from it', () => {
    const text = edit(
      { 11: '    database: {host: 10.0.1.5, name: analytics, user: loader', 12: null },
      '  marts: {',
      '    database: {host: 10.0.1.6, name: marts, user: loader},',
      '  }',
    );
    expect(loadText(text).diagnostics.map((d) => [d.summary, d.source?.line])).toEqual([
      ['Invalid YAML', 11],
    ]);
  });

  it('reads the secrets of every entry with a schema error, as errors when it will connect', () => {
    const text = edit(
      { 5: ['    user: tunnel', '    hostkey_check: strict'], 16: '    schema: ""' },
      ...postgresState,
      '    password: ${file:secrets/none}',
      '  bakend: postgres',
    );
    const notRead = loadText(text, 'connect', noVariables)
      .diagnostics.filter((d) => /is not set|not found/.test(d.summary))
      .map((d) => [d.severity, d.summary, d.source?.path]);
    expect(notRead).toEqual([
      ['error', 'Environment variable BASTION_PEM is not set', 'bastions.main.private_key'],
      [
        'error',
        'Environment variable WAREHOUSE_PASSWORD is not set',
        'destinations.warehouse.database.password',
      ],
      ['error', 'Secret file not found', 'state.database.password'],
    ]);
  });

  it('reports every problem at once', () => {
    const text = edit(
      { 4: null, 10: '    bastion: mian', 16: '    schema: ""' },
      '    on_delete: destroy',
    );
    const summaries = loadText(text).diagnostics.map((d) => d.summary);
    expect(summaries).toEqual([
      'Missing key "host"',
      'Unknown bastion "mian"',
      'Empty schema',
      'Invalid on_delete "destroy"',
    ]);
  });

  it('reports every problem at once, those of the rules in entries with schema errors too', () => {
    const text = edit(
      {
        5: ['    user: tunnel', '    prot: 1'],
        7: null,
        13: `      name: ${longName}`,
        16: `    schema: ${longName}`,
      },
      '    on_delete: dorp',
      '    admin:',
      `      user: ${longName}`,
      '      pasword: ${env:ADMIN_PASSWORD}',
    );
    const problems = loadText(text, 'offline', noKnownHosts).diagnostics.map((d) => [
      d.summary,
      d.source?.path,
    ]);
    expect(problems).toEqual([
      ['Nothing to check the host key against', 'bastions.main'],
      ['Unknown key "prot"', 'bastions.main.prot'],
      ['Database name longer than 63 bytes', 'destinations.warehouse.database.name'],
      ['Schema name longer than 63 bytes', 'destinations.warehouse.schema'],
      ['Invalid on_delete "dorp"', 'destinations.warehouse.on_delete'],
      ['Admin user name longer than 63 bytes', 'destinations.warehouse.admin.user'],
      ['Unknown key "pasword"', 'destinations.warehouse.admin.pasword'],
    ]);
  });

  it('words its messages as prose: "an admin", and keys and values in backquotes', () => {
    const text = edit(
      { 15: ['      password: ${env:WAREHOUSE_PASSWORD}', '      ssl: required'] },
      '    privileges: [insert]',
      '    on_delete: dorp',
      '    admin:',
      '      pasword: ${env:ADMIN_PASSWORD}',
    );
    expect(loadText(text).diagnostics.map((d) => d.detail)).toEqual([
      '`ssl` is one of `disable`, `prefer`, `require` or `verify-full`.',
      'A privilege is one of `CREATE`, `ALTER`, `INSERT`, `SELECT`, `DELETE` or `DROP`.',
      '`on_delete` is one of `forget` or `drop`.',
      'An admin needs `user`.',
      'An admin takes `user` and `password`.',
    ]);
  });
});
