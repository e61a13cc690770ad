// The node's own TLS certificate for DAV off loopback: made once in HOME/dav-server/tls/ (by Debian's openssl; node:crypto
// cannot make X.509 certificates), its SHA-256 fingerprint shown so a person can compare it on the phone.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FailureError } from '../../base/index.js';

export class DavCertificateError extends FailureError {
  override name = 'DavCertificateError';
}

export interface DavCertificate {
  key: string;
  cert: string;
  /** SHA-256 of the DER certificate, as AA:BB:… (what iOS and browsers show). */
  fingerprint: string;
  certFile: string;
}

const dirOf = (home: string) => path.join(home, 'dav-server', 'tls');

/** The names a phone may reach this machine by: localhost, the host name, every non-internal IP address now. */
export function subjectNames(): string[] {
  const ips = Object.values(os.networkInterfaces()).flatMap((l) => l ?? []).map((a) => a.address);
  return [`DNS:localhost`, `DNS:${os.hostname()}`, 'IP:127.0.0.1', ...[...new Set(ips)].filter((a) => a !== '127.0.0.1').map((a) => `IP:${a.replace(/%.*$/, '')}`)];
}

/** The fingerprint of the certificate in the home, if one was made. */
export async function certificateFingerprint(home: string): Promise<string | undefined> {
  const text = await fs.readFile(path.join(dirOf(home), 'cert.pem'), 'utf8').catch(() => undefined);
  return text ? new X509Certificate(text).fingerprint256 : undefined;
}

/** The home's certificate, made on first use (self-signed, EC P-256, 825 days: the longest iOS accepts). */
export async function ensureCertificate(home: string): Promise<DavCertificate> {
  const dir = dirOf(home);
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  let cert = await fs.readFile(certFile, 'utf8').catch(() => undefined);
  let key = await fs.readFile(keyFile, 'utf8').catch(() => undefined);
  if (!cert || !key) {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile + '.tmp', '-out', certFile + '.tmp', '-days', '825', '-subj', `/CN=semsync ${os.hostname()}`, '-addext', `subjectAltName=${subjectNames().join(',')}`, '-addext', 'extendedKeyUsage=serverAuth'];
    await new Promise<void>((resolve, reject) =>
      execFile('openssl', args, (err, _out, stderr) => (err ? reject(new DavCertificateError(`cannot make the DAV certificate with openssl (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed: apt-get install openssl' : stderr.trim() || err.message})`)) : resolve())),
    );
    await fs.chmod(keyFile + '.tmp', 0o600);
    await fs.rename(keyFile + '.tmp', keyFile);
    await fs.rename(certFile + '.tmp', certFile);
    cert = await fs.readFile(certFile, 'utf8');
    key = await fs.readFile(keyFile, 'utf8');
  }
  return { key, cert, fingerprint: new X509Certificate(cert).fingerprint256, certFile };
}
