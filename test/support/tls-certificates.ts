import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/** A throwaway certificate authority and a server certificate it signed. */
export interface TestCertificates {
  /** The authority's certificate, for `ssl_root_cert`. */
  caPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * Makes a CA and a server certificate naming each of `names` (IP addresses and
 * DNS names) with openssl, using P-256 keys because they are quick to make.
 */
export async function generateServerCertificates(dir: string, names: readonly string[]): Promise<TestCertificates> {
  const caKey = join(dir, 'ca.key');
  const caPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const extensions = join(dir, 'server.ext');
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  await runCommand('openssl', ['req', '-x509', ...curve, '-keyout', caKey, '-out', caPath, '-days', '2', '-subj', '/CN=pgdest test CA']);
  await runCommand('openssl', ['req', ...curve, '-keyout', keyPath, '-out', csr, '-subj', `/CN=${names[0] ?? 'localhost'}`]);
  const alternatives = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await writeFile(extensions, `subjectAltName=${alternatives}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  await runCommand('openssl', ['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-CAcreateserial', '-out', certPath, '-days', '2', '-extfile', extensions]);
  return { caPath, certPath, keyPath };
}
