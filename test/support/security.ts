import { createCipheriv, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { TestApp } from './test-app';

export function auth(t: TestApp, role: 'SUPER_ADMIN' | 'ADMIN' | 'MANAGER' | 'AGENT', subs: number[] = []): string {
  return `Bearer ${t.token(role, subs)}`;
}

/** A GoHighLevel signing key of our own: the integration's webhookPublicKey verifies what it signs. */
export function ghlSigner(): { publicKeyPem: string; sign(body: string): string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (body) => createSign('SHA256').update(body).sign(privateKey, 'base64'),
  };
}

/** A GoHighLevel ContactCreate for a location, as GoHighLevel sends it. */
export function ghlContact(locationId: string, contactId: string, email: string): string {
  return JSON.stringify({
    type: 'ContactCreate',
    locationId,
    id: contactId,
    email,
    phone: '+14155550100',
    name: 'Ana Tenant',
    firstName: 'Ana',
    lastName: 'Tenant',
    dateAdded: '2026-11-26T12:41:02.193Z',
  });
}

export async function countRows(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  return (await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
}

/** A value in the first sealed format (bound to its key id only), as rows written before issue 9 hold them. */
export function legacySeal(keyId: string, key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'enc',
    'v1',
    keyId,
    iv.toString('base64'),
    cipher.getAuthTag().toString('base64'),
    body.toString('base64'),
  ].join(':');
}
