import 'reflect-metadata';
import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { fingerprintSha256 } from '../../platform/outbound/index.ts';
import type { KeyAlgorithm } from './settings.ts';

x509.cryptoProvider.set(webcrypto as any);

export interface KataIdentity {
  /** The external system ID KATA approves together with the certificate (a UUID v4). */
  xdrId: string;
  certificatePem: string;
  /** PKCS#8 PEM; goes to the vault only. */
  privateKeyPem: string;
  /** `AB:CD:…`, as KATA's "External systems" table shows it. */
  fingerprintSha256: string;
}

const ALGORITHMS = {
  ecdsaP256: { gen: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  rsa2048: { gen: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } },
} as const;

/**
 * A new XDR ID and a self-signed TLS client certificate with its key (reference §4.1: KATA
 * approves an external system by ID + certificate fingerprint). Key usage is what a TLS client
 * needs: digitalSignature, plus keyEncipherment for RSA key transport; extended key usage
 * clientAuth only, so the certificate cannot serve as a server certificate.
 */
export async function generateKataIdentity(options: { algorithm?: KeyAlgorithm; validityDays?: number; commonName?: string; xdrId?: string } = {}): Promise<KataIdentity> {
  const algorithm = options.algorithm ?? 'ecdsaP256';
  const validityDays = options.validityDays ?? 365;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) throw new Error('validityDays must be an integer from 1 to 3650');
  const spec = ALGORITHMS[algorithm];
  if (!spec) throw new Error(`unknown key algorithm ${algorithm}`);
  const xdrId = options.xdrId ?? randomUUID();
  const keys = (await webcrypto.subtle.generateKey(spec.gen as never, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  // Backdated a little so a Central Node with a slightly late clock accepts it at once.
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const notAfter = new Date(notBefore.getTime() + validityDays * 86_400_000);
  const usage = algorithm === 'rsa2048' ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
  // RFC 5280: a positive serial of up to 20 octets; the top bit cleared keeps it positive.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [sanitizeCn(options.commonName ?? `xdrhub ${xdrId}`)] }, { O: ['xdrhub'] }],
    notBefore,
    notAfter,
    keys: keys as never,
    signingAlgorithm: spec.sign as never,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  const certificatePem = cert.toString('pem');
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { xdrId, certificatePem, privateKeyPem: x509.PemConverter.encode(der, 'PRIVATE KEY'), fingerprintSha256: fingerprintSha256(certificatePem) };
}

/** A common name is free text but must not smuggle extra RDNs or control characters. */
function sanitizeCn(cn: string): string {
  const clean = cn.replace(/[\u0000-\u001f\u007f,+=<>#;"\\]/g, ' ').trim().slice(0, 64);
  return clean || 'xdrhub';
}
