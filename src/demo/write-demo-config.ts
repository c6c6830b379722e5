import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DemoSetting {
  dir: string;
  schemaPath: string;
  bastion: { port: number; user: string; hostKeyFingerprint: string };
  database: { port: number; name: string };
}

/**
 * Writes the demo's pgdest.yaml: the bastion, and two destinations behind it.
 * `warehouse` may create its schema; `events` may not, so it falls back to
 * public, as documented. Secrets come from files beside the config.
 */
export async function writeDemoConfig(setting: DemoSetting): Promise<string> {
  const path = join(setting.dir, 'pgdest.yaml');
  const text = `# yaml-language-server: $schema=${setting.schemaPath}
#
# Written by pgdest demo. The bastion is an SSH server inside the demo's own
# process; the database is a throwaway PostgreSQL that it forwards to.
version: 1

bastions:
  demo:
    host: 127.0.0.1
    port: ${setting.bastion.port}
    user: ${setting.bastion.user}
    private_key_file: demo_ed25519          # generated for this demo
    host_key: ${setting.bastion.hostKeyFingerprint}

destinations:
  warehouse:
    bastion: demo
    database:
      host: 127.0.0.1                       # as the bastion sees it
      port: ${setting.database.port}
      name: ${setting.database.name}
      user: loader
      password: \${file:secrets/loader-password}
      ssl: disable
    schema: kondado

  events:
    bastion: demo
    database:
      host: 127.0.0.1
      port: ${setting.database.port}
      name: ${setting.database.name}
      user: events_loader                   # may not create schemas
      password: \${file:secrets/events-password}
      ssl: disable
    schema: events_raw
    schema_fallback: public                 # the documented fallback
`;
  await writeFile(path, text);
  return path;
}
