// LinkedIn X-LI-Signature verification, the challenge handshake and notification events, on LinkedIn's documented examples.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookRequest } from '../integration-handler';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, 'fixtures', name));
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixture(name).toString('utf8'));
const CREATED = fixture('lead-notification.created.sponsored.UNCONFIRMED.json');
const DELETED = fixture('lead-notification.deleted.event.UNCONFIRMED.json');
const SECRET = 'li-client-secret-7f3a';
const CONFIG = { organizationId: '123', clientId: '78abcxyz', clientSecret: SECRET, accessToken: 'AQV-li-token' };
const NOW = new Date('2026-11-30T12:00:00Z');

/** Computed here, independently of the handler: hex HMAC-SHA256 of "hmacsha256=" + the raw bytes. */
const sign = (raw: Buffer, secret = SECRET) =>
  createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from('hmacsha256='), raw]))
    .digest('hex');
const request = (raw: Buffer, signature?: string): WebhookRequest => ({
  rawBody: raw,
  headers: signature === undefined ? {} : { 'x-li-signature': signature },
  receivedAt: NOW,
});

describe('LinkedInLeadGenHandler webhooks', () => {
  const webhook = new LinkedInLeadGenHandler().webhook;
  const keys = { config: CONFIG, webhookSecrets: ['whsec-hub-secret'] };

  describe('verify', () => {
    const signature = sign(CREATED);

    it('accepts the bare hex and the prefixed form, in any case', () => {
      for (const value of [
        signature,
        `hmacsha256=${signature}`,
        signature.toUpperCase(),
        `HMACSHA256=${signature.toUpperCase()}`,
        ` ${signature} `,
      ]) {
        expect(webhook.verify(request(CREATED, value), keys)).toEqual({ ok: true });
      }
    });

    it('rejects a tampered body, a wrong secret, a hash of the body without the prefix, and a missing header', () => {
      const tampered = Buffer.from(CREATED.toString('utf8').replace('"CREATED"', '"DELETED"'));
      expect(webhook.verify(request(tampered, signature), keys)).toEqual({
        ok: false,
        reason: 'X-LI-Signature does not match',
      });
      expect(webhook.verify(request(CREATED, sign(CREATED, 'another-secret')), keys).ok).toBe(false);
      const unprefixed = createHmac('sha256', SECRET).update(CREATED).digest('hex');
      expect(webhook.verify(request(CREATED, unprefixed), keys).ok).toBe(false);
      expect(webhook.verify(request(CREATED, `sha256=${signature}`), keys).ok).toBe(false);
      expect(webhook.verify(request(CREATED), keys)).toEqual({ ok: false, reason: 'missing X-LI-Signature header' });
      expect(webhook.verify(request(CREATED, signature), { ...keys, config: { ...CONFIG, clientSecret: '' } })).toEqual(
        {
          ok: false,
          reason: 'integration has no clientSecret configured',
        },
      );
    });

    it('verifies the exact bytes: re-serialized JSON does not match', () => {
      const reserialized = Buffer.from(JSON.stringify(JSON.parse(CREATED.toString('utf8'))));
      expect(webhook.verify(request(reserialized, signature), keys).ok).toBe(false);
    });
  });

  describe('handshake', () => {
    const challengeCode =
      new URL(
        fixture('challenge-request.http')
          .toString('utf8')
          .replace(/^GET\s+/, '')
          .trim(),
      ).searchParams.get('challengeCode') ?? '';

    it('answers the challenge from the fixture with its HMAC under the client secret', () => {
      const answer = webhook.handshake?.({ challengeCode }, CONFIG);
      expect(answer?.contentType).toBe('application/json');
      const body = JSON.parse(answer?.body ?? '{}');
      expect(body).toEqual({
        challengeCode: '890e4665-4dfe-4ab1-b689-ed553bceeed0',
        challengeResponse: createHmac('sha256', SECRET).update(challengeCode).digest('hex'),
      });
      // same shape as LinkedIn's documented answer
      expect(Object.keys(body)).toEqual(Object.keys(fixtureJson('challenge-response.json')));
      expect(body.challengeResponse).toMatch(/^[0-9a-f]{64}$/);
    });

    it('answers nothing without a challenge code or a secret', () => {
      expect(webhook.handshake?.({}, CONFIG)).toBeNull();
      expect(webhook.handshake?.({ challengeCode: '' }, CONFIG)).toBeNull();
      expect(webhook.handshake?.({ challengeCode }, { ...CONFIG, clientSecret: undefined })).toBeNull();
    });
  });

  describe('extractEvents', () => {
    it('turns a CREATED notification into one lead.created event keyed by response and action', () => {
      const events = webhook.extractEvents(JSON.parse(CREATED.toString()), request(CREATED, sign(CREATED)));
      expect(events).toEqual([
        {
          externalId: 'urn:li:leadGenFormResponse:1a2b3c-4:CREATED',
          eventType: 'lead.created',
          payload: {
            responseUrn: 'urn:li:leadGenFormResponse:1a2b3c-4',
            responseId: '1a2b3c-4',
            formUrn: 'urn:li:versionedLeadGenForm:(urn:li:leadGenForm:1, 1)',
            leadAction: 'CREATED',
            leadType: 'SPONSORED',
            occurredAt: '2023-06-07T23:59:18.881Z',
            owner: { sponsoredAccount: 'urn:li:sponsoredAccount:123' },
            associatedEntity: { sponsoredCreative: 'urn:li:sponsoredCreative:456' },
          },
        },
      ]);
    });

    it('keys the DELETED notification of the same response apart from its creation', () => {
      const [event] = webhook.extractEvents(JSON.parse(DELETED.toString()), request(DELETED, sign(DELETED)));
      expect(event.externalId).toBe('urn:li:leadGenFormResponse:1a2b3c-4:DELETED');
      expect(event.eventType).toBe('lead.deleted');
      expect(event.payload).toMatchObject({
        responseId: '1a2b3c-4',
        leadType: 'EVENT',
        owner: { organization: 'urn:li:organization:123' },
      });
    });

    it('reads occurredAt in seconds as seconds; a notification without a response URN or a Lead Sync action is no event', () => {
      const urn = 'urn:li:leadGenFormResponse:s-1';
      const [event] = webhook.extractEvents(
        { leadGenFormResponse: urn, leadAction: 'CREATED', occurredAt: 1686182358 },
        request(Buffer.from('{}')),
      );
      expect(event.externalId).toBe(`${urn}:CREATED`);
      expect(event.payload).toMatchObject({ occurredAt: '2023-06-07T23:59:18.000Z' });
      // nothing to fetch or delete: answered ignored (API.md "Webhooks"), not stored to fail
      for (const payload of [
        { leadAction: 'CREATED', occurredAt: 1686182358 },
        { leadGenFormResponse: urn, leadAction: 'UPDATED' },
        { leadGenFormResponse: urn },
      ])
        expect(webhook.extractEvents(payload, request(Buffer.from('{}')))).toEqual([]);
      expect(webhook.extractEvents([], request(Buffer.from('[]')))).toEqual([]);
    });
  });
});
