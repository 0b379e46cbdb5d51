/**
 * Certificates made at run time, for HTTPS service targets (tests and the sandbox): a
 * private CA and the server certificates it issues (for host names, valid, expired or not
 * yet valid), plus self-signed ones. ECDSA P-256 through WebCrypto and @peculiar/x509 (a
 * dev dependency: Node has no X.509 builder), so nothing long-lived is committed and no
 * openssl is needed. Not imported by the fakes themselves, so the image never needs it.
 */
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs the Reflect metadata API
import * as x509 from '@peculiar/x509';
import { KeyObject, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A key and certificate (chain) in PEM, as node:https and the services fake take them. */
export interface KeyAndCert {
  key: string;
  cert: string;
}

export interface CertOptions {
  /** DNS names for subjectAltName; the first is also the subject CN. */
  names: string[];
  /** Default: a day ago. */
  notBefore?: Date;
  /** Default: a day from now. */
  notAfter?: Date;
}

export interface TestCa {
  /** The CA certificate (PEM): what a client must trust. */
  cert: string;
  /** A server certificate for `names`, signed by this CA. */
  issue(options: CertOptions): Promise<KeyAndCert>;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function keyPem(key: CryptoKey): string {
  return KeyObject.from(key as unknown as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }) as string;
}

function serverExtensions(names: string[]): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
  ];
}

const validity = (o: CertOptions) => ({
  notBefore: o.notBefore ?? new Date(Date.now() - DAY_MS),
  notAfter: o.notAfter ?? new Date(Date.now() + DAY_MS),
});

/** A new private CA. */
export async function createTestCa(name = 'Portcullis Test CA'): Promise<TestCa> {
  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    cert: caCert.toString('pem'),
    async issue(options) {
      const keys = await keyPair();
      const cert = await x509.X509CertificateGenerator.create({
        subject: `CN=${options.names[0]}`,
        issuer: caCert.subject,
        ...validity(options),
        publicKey: keys.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions: [...serverExtensions(options.names), await x509.AuthorityKeyIdentifierExtension.create(caCert)],
      });
      return { key: keyPem(keys.privateKey), cert: cert.toString('pem') };
    },
  };
}

/** A self-signed server certificate for `names`: one no CA vouches for. */
export async function selfSigned(options: CertOptions): Promise<KeyAndCert> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${options.names[0]}`,
    keys,
    signingAlgorithm: ALGORITHM,
    ...validity(options),
    extensions: serverExtensions(options.names),
  });
  return { key: keyPem(keys.privateKey), cert: cert.toString('pem') };
}
