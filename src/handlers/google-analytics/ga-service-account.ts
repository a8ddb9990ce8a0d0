import { createPrivateKey, KeyObject, sign } from 'node:crypto';
import { asString, isRecord } from '../shared/json';

export const GA_READONLY_SCOPE = 'https://www.googleapis.com/auth/analytics.readonly';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600; // Google's maximum for a service account assertion

/** The fields of a Google service account JSON key that the JWT-bearer flow needs. */
export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId?: string;
  tokenUri: string;
}

/** A service account key from its JSON text, or undefined when it is not one (never says what is wrong with the secret). */
export function parseServiceAccountKey(text: string): ServiceAccountKey | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const clientEmail = asString(parsed.client_email);
  const pem = asString(parsed.private_key);
  const tokenUri = asString(parsed.token_uri);
  if (clientEmail === undefined || pem === undefined || tokenUri === undefined) return undefined;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    return undefined;
  }
  if (privateKey.asymmetricKeyType !== 'rsa') return undefined;
  if (!URL.canParse(tokenUri)) return undefined;
  return { clientEmail, privateKey, privateKeyId: asString(parsed.private_key_id), tokenUri };
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** The RS256 assertion Google's token endpoint exchanges for an access token (RFC 7523). */
export function serviceAccountAssertion(key: ServiceAccountKey, scope: string, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = base64url({ alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) });
  const claims = base64url({ iss: key.clientEmail, scope, aud: key.tokenUri, iat, exp: iat + ASSERTION_LIFETIME_S });
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`, 'utf8'), key.privateKey).toString(
    'base64url',
  );
  return `${header}.${claims}.${signature}`;
}
