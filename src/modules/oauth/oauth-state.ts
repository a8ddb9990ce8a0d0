import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The `state` of a connect flow: `<nonce>.<signature>`, the signature an HMAC-SHA256 of the provider
 * and the nonce with a key derived (HKDF) from the first encryption key. The server keeps only the
 * nonce's SHA-256 (with the flow's details), so a stolen database row cannot be turned into a state.
 */
export class OAuthStateSigner {
  private readonly key: Buffer;

  constructor(secret: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'integration-hub oauth state', 32));
  }

  issue(provider: string): { state: string; id: string } {
    const nonce = randomBytes(32).toString('base64url');
    return { state: `${nonce}.${this.sign(provider, nonce)}`, id: stateId(nonce) };
  }

  /** The stored flow's id when the state is well-formed and signed for this provider, else null. */
  verify(provider: string, state: string): string | null {
    const match = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/.exec(state);
    if (!match) return null;
    const expected = Buffer.from(this.sign(provider, match[1]));
    const given = Buffer.from(match[2]);
    return expected.length === given.length && timingSafeEqual(expected, given) ? stateId(match[1]) : null;
  }

  private sign(provider: string, nonce: string): string {
    return createHmac('sha256', this.key).update(`${provider}.${nonce}`).digest('base64url');
  }
}

function stateId(nonce: string): string {
  return createHash('sha256').update(nonce).digest('hex');
}

/** RFC 7636: a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** `origin + path` of an http(s) URL without credentials, as the allow-list holds them; null otherwise. */
export function allowListForm(uri: string): string | null {
  try {
    const url = new URL(uri);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
    return url.origin + url.pathname;
  } catch {
    return null;
  }
}
