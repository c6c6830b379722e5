import { writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

/** A throwaway certificate authority and a server certificate it signed. */
export interface TestCertificates {
  /** The authority's certificate, for `ssl_root_cert`. */
  caPath: string;
  /** The authority's private key, to sign more certificates with. */
  caKeyPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * Makes a CA and a server certificate naming each of `names` (IP addresses and
 * DNS names) with openssl, using P-256 keys because they are quick to make.
 * Given an `authority`, that one signs instead of a new CA.
 */
export async function generateServerCertificates(
  dir: string,
  names: readonly string[],
  authority?: Pick<TestCertificates, 'caPath' | 'caKeyPath'>,
): Promise<TestCertificates> {
  const caKey = authority?.caKeyPath ?? join(dir, 'ca.key');
  const caPath = authority?.caPath ?? join(dir, 'ca.crt');
  const keyPath = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certPath = join(dir, 'server.crt');
  const extensions = join(dir, 'server.ext');
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const days = ['-days', '2'];
  const caFiles = ['-keyout', caKey, '-out', caPath, '-subj', '/CN=pgdest test CA'];
  if (authority === undefined) {
    await runCommand('openssl', ['req', '-x509', ...curve, ...days, ...caFiles]);
  }

  const subject = `/CN=${names[0] ?? 'localhost'}`;
  await runCommand('openssl', ['req', ...curve, '-keyout', keyPath, '-out', csr, '-subj', subject]);

  const alternatives = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  const usage =
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth';
  await writeFile(extensions, `subjectAltName=${alternatives}\n${usage}\n`);
  // The serial file stays in `dir`, out of another authority's folder.
  const serial = ['-CAserial', join(dir, 'ca.srl'), '-CAcreateserial'];
  const signer = ['-CA', caPath, '-CAkey', caKey, ...serial];
  const signed = ['-in', csr, '-out', certPath, '-extfile', extensions];
  await runCommand('openssl', ['x509', '-req', ...signer, ...signed, ...days]);
  return { caPath, caKeyPath: caKey, certPath, keyPath };
}
