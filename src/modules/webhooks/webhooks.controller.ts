import { Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RawBodyRequest } from '../../app.factory';
import { Public } from '../../common/auth/decorators';
import { DomainException } from '../../common/errors/domain.exception';
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

function delivery(req: FastifyRequest): InboundDelivery {
  const rawBody = (req.raw as RawBodyRequest).rawBody;
  if (!rawBody) throw DomainException.validation('A JSON body is required');
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return { rawBody, payload: req.body, headers, ip: req.ip };
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
    summary:
      'Provider-level delivery, routed by the payload (Meta page id, WhatsApp phone number id, GoHighLevel location, LinkedIn owner)',
  })
  @ApiOkResponse({ type: IngestResultDto })
  forProvider(@Param('provider') provider: string, @Req() req: FastifyRequest): Promise<IngestResult> {
    return this.ingest.ingestForProvider(provider, delivery(req));
  }

  @Post(':provider/:webhookId')
  @HttpCode(200)
  @ApiOperation({ summary: "Integration-level delivery (the integration's webhookUrl)" })
  @ApiOkResponse({ type: IngestResultDto })
  forIntegration(
    @Param('provider') provider: string,
    @Param('webhookId') webhookId: string,
    @Req() req: FastifyRequest,
  ): Promise<IngestResult> {
    return this.ingest.ingestForIntegration(provider, webhookId, delivery(req));
  }

  @Get(':provider')
  @ApiOperation({ summary: 'Subscription handshake (Meta/WhatsApp hub.challenge, LinkedIn challengeCode)' })
  @ApiOkResponse(HANDSHAKE_RESPONSE)
  handshake(
    @Param('provider') provider: string,
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    return this.answer(this.ingest.handshake(provider, undefined, stringQuery(query), req.ip), reply);
  }

  @Get(':provider/:webhookId')
  @ApiOperation({ summary: 'Subscription handshake for one integration' })
  @ApiOkResponse(HANDSHAKE_RESPONSE)
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
