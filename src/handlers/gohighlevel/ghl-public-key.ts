/**
 * GoHighLevel's published RSA-4096 key for the legacy `x-wh-signature` header, verbatim from the
 * official docs (GoHighLevel/highlevel-api-docs docs/oauth/WebhookAuthentication.md, also
 * fixtures/x-wh-signature.rsa-public-key.pem). Used when an integration configures no
 * webhookPublicKey. GoHighLevel announces rotations by e-mail; an integration then sets
 * webhookPublicKey to the new key without waiting for a release.
 */
export const GHL_DEFAULT_RSA_PUBLIC_KEY = `
-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
`.trim();

/**
 * GoHighLevel's Ed25519 key for `x-ghl-signature`, the header its official SDK calls "preferred"
 * (GoHighLevel/highlevel-api-sdk README and lib/webhook/webhook-manager.ts @ 7224b2b, which read the
 * key from WEBHOOK_SIGNATURE_PUBLIC_KEY and verify with crypto.verify(null, …)).
 *
 * UNCONFIRMED from an official source: neither the SDK, nor GoHighLevel/highlevel-api-docs @ 0af86a4,
 * nor the official PHP SDK contains the key, and the marketplace "Webhook Integration Guide" section
 * that publishes it could not be read here. This value is the one that many unrelated integrations
 * carry and attribute to that guide (fixtures/x-ghl-signature.ed25519-public-key.UNCONFIRMED.pem,
 * shared fixtures SOURCES.md §5). It is shipped as the default because x-wh-signature (RSA) is being
 * retired and without it every GoHighLevel delivery would be refused; an integration overrides it
 * with webhookEd25519PublicKey, and while GoHighLevel still sends x-wh-signature that header is
 * accepted too, so a wrong default never stands alone.
 */
export const GHL_DEFAULT_ED25519_PUBLIC_KEY = `
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
`.trim();
