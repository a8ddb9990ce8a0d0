import { applyDecorators, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RawBodyRequest } from '../../app.factory';
import { Public } from '../../common/auth/decorators';
import { DomainException } from '../../common/errors/domain.exception';
import { ApiErrors } from '../../common/http/api-errors.decorator';
import { InboundDelivery, IngestResult, WebhookIngestService } from './webhook-ingest.service';

/** LinkedIn's challenge answer (the other providers' handshakes answer their challenge as text/plain). */
class ChallengeAnswerDto {
  @ApiProperty() challengeCode!: string;
  @ApiProperty({ description: 'HMAC-SHA256 of challengeCode with the client secret, hex' }) challengeResponse!: string;
}

const HANDSHAKE_RESPONSE = {
  description:
    "The provider's challenge echoed as text/plain (Meta, WhatsApp hub.challenge) or answered as JSON (LinkedIn challengeCode)",
  content: {
    'text/plain': { schema: { type: 'string' } },
    'application/json': { schema: { $ref: getSchemaPath(ChallengeAnswerDto) } },
  },
};

class IngestResultDto {
  @ApiProperty({ enum: ['received', 'duplicate', 'ignored'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) eventId!: string | null;
  @ApiPropertyOptional({ type: [String], description: 'When one delivery held several events' }) eventIds?: string[];
}

const PROVIDER_PARAM = ApiParam({
  name: 'provider',
  description:
    'The handler key, e.g. meta-lead-ads, whatsapp-cloud, linkedin-lead-gen, gohighlevel, google-ads-lead-forms, generic-webhook',
});

const NOT_FOUND_ENDPOINT = [404, 'NOT_FOUND: unknown provider or webhookId'] as const;
const RATE_LIMITED = [429, 'RATE_LIMIT_EXCEEDED: over the rate limit; retry after Retry-After seconds'] as const;

/** The error answers of a delivery (API.md "Webhooks"); the signature is checked over the exact raw bytes. */
const deliveryErrors = (badRequest: string, unauthorized: string): MethodDecorator & ClassDecorator =>
  ApiErrors(
    [400, `VALIDATION_FAILED: ${badRequest}`],
    [401, `WEBHOOK_SIGNATURE_INVALID: ${unauthorized}`],
    NOT_FOUND_ENDPOINT,
    [409, 'INTEGRATION_NOT_ACTIVE: the integration is switched off, disconnected, or has not passed a connection test'],
    [413, 'PAYLOAD_TOO_LARGE: the body is over WEBHOOK_MAX_BYTES (default 1 MiB)'],
    [415, 'UNSUPPORTED_MEDIA_TYPE: send application/json'],
    RATE_LIMITED,
  );
const PROVIDER_DELIVERY_ERRORS = deliveryErrors(
  'malformed JSON (the routing key is read from the body, so it is parsed first), or JSON PostgreSQL cannot store (NUL, lone surrogates, nesting over 64) once verified',
  'the signature is missing, wrong or stale, or the routing key is unknown or missing; the answer never says which (it would tell which pages, numbers or locations are connected)',
);
const INTEGRATION_DELIVERY_ERRORS = deliveryErrors(
  'once the signature has passed: malformed JSON, or JSON PostgreSQL cannot store (NUL, lone surrogates, nesting over 64). Google Ads lead forms: malformed JSON first (their google_key is read from the body)',
  'the signature is missing, wrong or stale, whether or not the body is JSON; `details` says what failed (`{ field: "signature", messages: [reason] }`: a missing header, a timestamp outside the tolerance, a signature that does not match)',
);

const RECEIVED =
  'Once the event is durably stored, before processing: `received`, `duplicate` (a delivery already stored, same provider event id) or `ignored` (verified, nothing to process; eventId null). A delivery holding several events adds `eventIds`.';

/** Signature headers of the providers routed by a key in the payload (one URL per provider app). */
const PROVIDER_SIGNATURES = applyDecorators(
  ApiHeader({
    name: 'X-Hub-Signature-256',
    required: false,
    description:
      'Meta Lead Ads, WhatsApp Cloud, Messenger and Instagram: `sha256=` + the hex HMAC-SHA256 of the raw body, keyed with the app secret (`appSecret`)',
  }),
  ApiHeader({
    name: 'X-LI-Signature',
    required: false,
    description: 'LinkedIn Lead Gen: the hex HMAC-SHA256 of `hmacsha256=` + the raw body, keyed with the client secret',
  }),
  ApiHeader({
    name: 'X-GHL-Signature',
    required: false,
    description:
      "GoHighLevel: base64 Ed25519 signature of the raw body (GoHighLevel's published key, or `webhookEd25519PublicKey`)",
  }),
  ApiHeader({
    name: 'X-WH-Signature',
    required: false,
    description:
      "GoHighLevel (legacy, being retired): base64 RSA-SHA256 signature of the raw body (GoHighLevel's published key, or `webhookPublicKey`); either GoHighLevel header verifying is enough",
  }),
);

/** Headers of the integration-level URL: the generic webhook's schemes (Google Ads sends google_key in the body). */
const INTEGRATION_SIGNATURES = applyDecorators(
  ApiHeader({
    name: 'x-webhook-signature',
    required: false,
    description:
      'Generic webhook, default scheme `hmac-sha256-timestamped`: `sha256=` + the hex HMAC-SHA256, keyed with the webhookSecret, of the timestamp, a `.` and the exact body bytes. ' +
      'Scheme `hmac-sha256-body`: the HMAC of the body alone (hex or base64, optional `sha256=` prefix) in the header the config names (`signatureHeader`). ' +
      'Google Ads lead forms send no header: the `google_key` in the body must equal the configured `googleKey`.',
  }),
  ApiHeader({
    name: 'x-webhook-timestamp',
    required: false,
    description:
      'Generic webhook (`hmac-sha256-timestamped`): Unix time in seconds, within `toleranceSeconds` (default 300) of the server clock',
  }),
  ApiHeader({
    name: 'x-webhook-id',
    required: false,
    description: "Generic webhook: the sender's event id, when the config does not point at one in the body",
  }),
  ApiHeader({
    name: 'webhook-signature',
    required: false,
    description:
      'Generic webhook, scheme `standard-webhooks` (Standard Webhooks / Svix): `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, with `webhook-id` and `webhook-timestamp`',
  }),
);

/** The handshake's query: Meta/WhatsApp's hub.* (exactly these three), or LinkedIn's challengeCode. */
const HANDSHAKE_QUERY = applyDecorators(
  ApiQuery({
    name: 'hub.mode',
    required: false,
    enum: ['subscribe'],
    description: 'Meta / WhatsApp: must be `subscribe`',
  }),
  ApiQuery({
    name: 'hub.verify_token',
    required: false,
    description: 'Meta / WhatsApp: must equal the `verifyToken` of an active integration',
  }),
  ApiQuery({ name: 'hub.challenge', required: false, description: 'Meta / WhatsApp: echoed back as text/plain' }),
  ApiQuery({
    name: 'challengeCode',
    required: false,
    schema: { type: 'string', format: 'uuid' },
    description: 'LinkedIn: a UUID, answered with its HMAC-SHA256 under the client secret',
  }),
  ApiQuery({
    name: 'applicationId',
    required: false,
    description: "LinkedIn: the app's client id, when LinkedIn names the app the challenge is addressed to",
  }),
  ApiErrors(
    [
      403,
      'FORBIDDEN: the request does not match exactly one active integration (wrong verify token, extra parameters)',
    ],
    NOT_FOUND_ENDPOINT,
    RATE_LIMITED,
  ),
);

function delivery(req: FastifyRequest): InboundDelivery {
  const { rawBody, bodyError } = req.raw as RawBodyRequest;
  if (!rawBody) throw DomainException.validation('A JSON body is required');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return { rawBody, payload: req.body, headers, ip: req.ip, bodyError };
}

function stringQuery(query: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(query)) out[k] = typeof v === 'string' ? v : undefined;
  return out;
}

/** Public, signed endpoints for outside platforms (API.md "Webhooks"). */
@ApiTags('webhooks')
@ApiExtraModels(ChallengeAnswerDto)
@Public()
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly ingest: WebhookIngestService) {}

  @Post(':provider')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive a provider-level webhook delivery',
    description:
      "One URL per provider app (Meta, WhatsApp, LinkedIn, GoHighLevel): the event is routed by the payload's routing key (Meta page id, WhatsApp phone number id, GoHighLevel location, LinkedIn owner) and verified with that integration's secret over the raw body.",
  })
  @ApiOkResponse({ type: IngestResultDto, description: RECEIVED })
  @PROVIDER_PARAM
  @PROVIDER_SIGNATURES
  @PROVIDER_DELIVERY_ERRORS
  forProvider(@Param('provider') provider: string, @Req() req: FastifyRequest): Promise<IngestResult> {
    return this.ingest.ingestForProvider(provider, delivery(req));
  }

  @Post(':provider/:webhookId')
  @HttpCode(200)
  @ApiOperation({
    summary: "Receive a delivery at an integration's webhookUrl",
    description:
      "Used by Google Ads lead forms and generic webhooks; verified with that integration's secret. The URL alone routes the delivery, so the signature is checked over the raw bytes before the body is parsed: a body that is not JSON answers 401 unless correctly signed, then 400 (Google Ads lead forms, whose google_key is in the body, answer it 400).",
  })
  @ApiOkResponse({ type: IngestResultDto, description: RECEIVED })
  @PROVIDER_PARAM
  @INTEGRATION_SIGNATURES
  @INTEGRATION_DELIVERY_ERRORS
  forIntegration(
    @Param('provider') provider: string,
    @Param('webhookId') webhookId: string,
    @Req() req: FastifyRequest,
  ): Promise<IngestResult> {
    return this.ingest.ingestForIntegration(provider, webhookId, delivery(req));
  }

  @Get(':provider')
  @ApiOperation({
    summary: "Answer a provider's webhook verification handshake",
    description:
      'Meta/WhatsApp: only the exact `hub.mode=subscribe` with one `hub.verify_token` and one `hub.challenge` is answered. LinkedIn: a UUID `challengeCode`, answered with the secret of the app it is addressed to.',
  })
  @ApiOkResponse(HANDSHAKE_RESPONSE)
  @PROVIDER_PARAM
  @HANDSHAKE_QUERY
  handshake(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    return this.answer(this.ingest.handshake(provider, undefined, stringQuery(query), req.ip), reply);
  }

  @Get(':provider/:webhookId')
  @ApiOperation({
    summary: "Answer the webhook verification handshake at an integration's webhookUrl",
    description: 'As GET /api/webhooks/{provider}, for this one integration (it must be active).',
  })
  @ApiOkResponse(HANDSHAKE_RESPONSE)
  @PROVIDER_PARAM
  @HANDSHAKE_QUERY
  handshakeForIntegration(
    @Param('provider') provider: string,
    @Param('webhookId') webhookId: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    return this.answer(this.ingest.handshake(provider, webhookId, stringQuery(query), req.ip), reply);
  }

  private async answer(pending: ReturnType<WebhookIngestService['handshake']>, reply: FastifyReply): Promise<string> {
    const response = await pending;
    void reply.type(
      response.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    );
    return response.body;
  }
}
