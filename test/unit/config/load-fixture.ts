import { loadConfigTexts, type LoadResult } from '../../../src/config/load-config.ts';
import type { Environment, SecretMode } from '../../../src/config/resolve-secret.ts';

/** An environment with the variables and files the fixtures expect, and nothing else. */
export function fixtureEnvironment(overrides: Partial<Environment> = {}): Environment {
  const files: Record<string, string> = {
    '/home/user/.ssh/known_hosts': 'bastion.example.com ssh-ed25519 AAAA\n',
    '/home/user/.ssh/id_ed25519':
      '-----BEGIN OPENSSH PRIVATE KEY-----\nfixture\n-----END OPENSSH PRIVATE KEY-----\n',
    '/configs/secrets/password': 'from-a-file\n',
    '/configs/ca.pem': '-----BEGIN CERTIFICATE-----\n',
  };
  return {
    env: {
      BASTION_PEM: 'fixture-key',
      WAREHOUSE_PASSWORD: 'fixture-password',
      ADMIN_PASSWORD: 'fixture-admin',
    },
    homeDir: '/home/user',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    },
    fileExists: (path) => path in files,
    ...overrides,
  };
}

/** Loads one config text as /configs/pgdest.yaml. */
export function loadText(
  text: string,
  mode: SecretMode = 'offline',
  environment = fixtureEnvironment(),
): LoadResult {
  return loadConfigTexts([{ file: '/configs/pgdest.yaml', text }], {
    mode,
    environment,
    baseDir: '/configs',
  });
}

/** Joins lines into a config text; cases read top to bottom like the file. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export const bastionLines = [
  'bastions:',
  '  main:',
  '    host: bastion.example.com',
  '    user: tunnel',
  '    private_key: ${env:BASTION_PEM}',
  '    host_key: SHA256:Wm3xq5J7mY0f3lO8pXyQ2mQ3b4r5s6t7u8v9w0x1y2z',
];

export const destinationLines = [
  'destinations:',
  '  warehouse:',
  '    bastion: main',
  '    database:',
  '      host: 10.0.1.5',
  '      name: analytics',
  '      user: loader',
  '      password: ${env:WAREHOUSE_PASSWORD}',
  '    schema: kondado',
];

/** A valid config: version, one bastion, one destination behind it. */
export const validConfig = yaml('version: 1', ...bastionLines, ...destinationLines);

/**
 * Two destinations sharing database settings through an anchor and a merge
 * key; `marts` overrides the name. Lines 10 to 15 hold the anchored settings,
 * 19 and 20 the merge key and the override.
 */
export const sharedDatabaseConfig = yaml(
  'version: 1',
  ...bastionLines,
  'destinations:',
  '  warehouse:',
  '    database: &analytics',
  '      host: 10.0.1.5',
  '      name: analytics',
  '      user: loader',
  '      password: ${env:WAREHOUSE_PASSWORD}',
  '      ssl: require',
  '    schema: kondado',
  '  marts:',
  '    database:',
  '      <<: *analytics',
  '      name: marts',
  '    schema: marts',
);
