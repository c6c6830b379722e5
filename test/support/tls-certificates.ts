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
export async function generateServerCertificates(
  dir: string,
  names: readonly string[],
): Promise<TestCertificates> {
  const caKey = join(dir, 'ca.key');
  const caPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const extensions = join(dir, 'server.ext');
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const days = ['-days', '2'];
  const caFiles = ['-keyout', caKey, '-out', caPath, '-subj', '/CN=pgdest test CA'];
  await runCommand('openssl', ['req', '-x509', ...curve, ...days, ...caFiles]);

  const subject = `/CN=${names[0] ?? 'localhost'}`;
  await runCommand('openssl', ['req', ...curve, '-keyout', keyPath, '-out', csr, '-subj', subject]);

  const alternatives = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  const usage =
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth';
  await writeFile(extensions, `subjectAltName=${alternatives}\n${usage}\n`);
  const signer = ['-CA', caPath, '-CAkey', caKey, '-CAcreateserial'];
  const signed = ['-in', csr, '-out', certPath, '-extfile', extensions];
  await runCommand('openssl', ['x509', '-req', ...signer, ...signed, ...days]);
  return { caPath, certPath, keyPath };
}
