import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { errnoCode } from '../../core/errors.js';
import { writeFileAtomic } from '../../core/fs-atomic.js';

/** A key pair that signs and verifies registry tokens. */
export interface SigningKey {
  algorithm: 'ES256' | 'RS256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Key id in the JWT header: a fingerprint of the public key. */
  keyId: string;
}

/** Builds a signing key from a PEM private key: EC P-256 signs ES256, RSA signs RS256. */
export function signingKeyFromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const type = privateKey.asymmetricKeyType;
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve !== 'prime256v1')
    throw new Error(`token key: EC keys must use P-256, not ${curve}`);
  if (type !== 'ec' && type !== 'rsa') throw new Error(`token key: unsupported key type ${type}`);
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = createHash('sha256').update(spki).digest('base64url').slice(0, 32);
  return { algorithm: type === 'ec' ? 'ES256' : 'RS256', privateKey, publicKey, keyId };
}

/**
 * Loads the PEM key at `path`, or, when `generate` is set and the file is
 * missing, creates an EC P-256 key there (mode 0600) so tokens outlive restarts.
 */
export async function loadSigningKey(path: string, generate: boolean): Promise<SigningKey> {
  try {
    return signingKeyFromPem(await readFile(path, 'utf8'));
  } catch (err) {
    if (!generate || errnoCode(err) !== 'ENOENT') throw err;
  }
  const { privateKey } = await promisify(generateKeyPair)('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // On PostgreSQL nothing else may have made the root yet.
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, pem, 0o600);
  return signingKeyFromPem(pem);
}
