import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AnalyticsRangeQueryDto, RebuildDto } from '../../modules/analytics/dto/analytics.dto';
import {
  CreateIntegrationDto,
  LimitsQueryDto,
  ListIntegrationsQueryDto,
} from '../../modules/integrations/dto/integration.dto';
import { ListLeadsQueryDto } from '../../modules/leads/dto/lead.dto';
import { CreateActivityDto, CreateLeadDto, MAX_ACTIVITY_SECONDS } from '../../modules/leads/dto/lead-write.dto';
import { SendChannelMessageDto } from '../../modules/messaging/dto/send-message.dto';
import { CreateBulkDto } from '../../modules/whatsapp/bulk/dto/bulk.dto';
import { WhatsAppAnalyticsQueryDto } from '../../modules/whatsapp/dto/analytics.dto';
import {
  AutoLinkDto,
  LinkConversationDto,
  ListConversationsQueryDto,
} from '../../modules/whatsapp/dto/conversation.dto';
import { ListMessagesQueryDto, SendMessageDto } from '../../modules/whatsapp/dto/message.dto';
import { CreateOptOutDto } from '../../modules/whatsapp/dto/opt-out.dto';
import { CreateWhatsAppTemplateDto, SyncTemplatesDto } from '../../modules/whatsapp/dto/template.dto';
import { MAX_INT_ID } from './int-id.decorator';

type Dto = new () => object;
const failing = (dto: Dto, plain: Record<string, unknown>): string[] =>
  validateSync(plainToInstance(dto, plain)).map((e) => e.property);

// Each id field of a body or query, with the rest of a valid request. A number past int4 overflowed
// in PostgreSQL (500 INTERNAL); API.md wants a bad request answered 400 VALIDATION_FAILED.
const cases: Array<[Dto, string, Record<string, unknown>]> = [
  [AnalyticsRangeQueryDto, 'subAccountId', { from: '2026-01-01', to: '2026-01-31' }],
  [RebuildDto, 'subAccountId', {}],
  [CreateIntegrationDto, 'subAccountId', { integrationTemplateId: 1, name: 'n', config: {} }],
  [CreateIntegrationDto, 'integrationTemplateId', { subAccountId: 1, name: 'n', config: {} }],
  [ListIntegrationsQueryDto, 'templateId', {}],
  [LimitsQueryDto, 'subAccountId', {}],
  [ListLeadsQueryDto, 'subAccountId', {}],
  [CreateLeadDto, 'subAccountId', { email: 'a@example.com' }],
  [SendChannelMessageDto, 'subAccountId', { channel: 'whatsapp', conversationId: '1', text: 'hi' }],
  [CreateBulkDto, 'integrationId', { subAccountId: 1, text: 'hi', leadIds: ['1'] }],
  [WhatsAppAnalyticsQueryDto, 'subAccountId', {}],
  [ListConversationsQueryDto, 'integrationId', {}],
  [AutoLinkDto, 'subAccountId', {}],
  [SendMessageDto, 'subAccountId', { to: '+5511987654321', text: 'hi' }],
  [CreateOptOutDto, 'subAccountId', { phone: '+5511987654321', scope: 'all' }],
  [CreateWhatsAppTemplateDto, 'integrationId', { name: 'n', language: 'en_US', category: 'UTILITY', components: [] }],
  [SyncTemplatesDto, 'integrationId', {}],
];

describe('IsIntId: integer ids of bodies and queries stay within int4', () => {
  it.each(cases)('%p.%s: 1 … 2147483647, nothing past it', (dto, field, rest) => {
    expect(failing(dto, { ...rest, [field]: MAX_INT_ID })).toEqual([]);
    expect(failing(dto, { ...rest, [field]: 1 })).toEqual([]);
    for (const bad of [MAX_INT_ID + 1, 1e300, 0, 1.5]) expect(failing(dto, { ...rest, [field]: bad })).toEqual([field]);
  });

  it('bounds an activity duration (at most a day, so never past int4 either)', () => {
    const activity = { type: 'CALL', userId: 'u1' };
    expect(failing(CreateActivityDto, { ...activity, durationSeconds: MAX_ACTIVITY_SECONDS })).toEqual([]);
    expect(failing(CreateActivityDto, { ...activity, durationSeconds: MAX_ACTIVITY_SECONDS + 1 })).toEqual([
      'durationSeconds',
    ]);
    expect(failing(CreateActivityDto, { ...activity, durationSeconds: MAX_INT_ID })).toEqual(['durationSeconds']);
    expect(failing(CreateActivityDto, { ...activity, durationSeconds: 1e300 })).toEqual(['durationSeconds']);
  });
});

// 64-bit ids (strings of digits): nineteen digits past int8 overflowed in PostgreSQL (500), and null
// for an optional id went past @IsOptional() into BigInt(null) (500); both are bad requests.
const bigCases: Array<[Dto, string, Record<string, unknown>]> = [
  [SendMessageDto, 'leadId', { subAccountId: 1, text: 'hi' }],
  [SendMessageDto, 'template', { subAccountId: 1, to: '+5511987654321' }],
  [LinkConversationDto, 'leadId', {}],
  [ListMessagesQueryDto, 'leadId', {}],
  [ListMessagesQueryDto, 'conversationId', {}],
  [CreateBulkDto, 'template', { subAccountId: 1, leadIds: ['1'] }],
  [SendChannelMessageDto, 'conversationId', { subAccountId: 1, channel: 'whatsapp', text: 'hi' }],
  [SendChannelMessageDto, 'leadId', { subAccountId: 1, channel: 'whatsapp', text: 'hi' }],
];
const MAX_BIG = '9223372036854775807';

describe('IsBigIntId: string ids of bodies and queries stay within int8', () => {
  it.each(bigCases)('%p.%s: 1 … 9223372036854775807, nothing past it', (dto, field, rest) => {
    const at = (id: string): unknown => (field === 'template' ? { id } : id);
    expect(failing(dto, { ...rest, [field]: at(MAX_BIG) })).toEqual([]);
    for (const bad of ['9223372036854775808', '9999999999999999999', '0', '01', '-1', '1.5'])
      expect(failing(dto, { ...rest, [field]: at(bad) })).toEqual([field]);
  });

  it('checks every lead id of a bulk send', () => {
    const bulk = { subAccountId: 1, text: 'hi' };
    expect(failing(CreateBulkDto, { ...bulk, leadIds: ['1', MAX_BIG] })).toEqual([]);
    expect(failing(CreateBulkDto, { ...bulk, leadIds: ['1', '9999999999999999999'] })).toEqual(['leadIds']);
  });

  it.each([
    [SendMessageDto, 'leadId', { subAccountId: 1, text: 'hi' }],
    [CreateBulkDto, 'integrationId', { subAccountId: 1, text: 'hi', leadIds: ['1'] }],
    [SendChannelMessageDto, 'conversationId', { subAccountId: 1, channel: 'whatsapp', leadId: '1', text: 'hi' }],
    [
      SendChannelMessageDto,
      'replyToMessageId',
      { subAccountId: 1, channel: 'whatsapp', conversationId: '1', text: 'hi' },
    ],
  ] as Array<[Dto, string, Record<string, unknown>]>)('%p.%s may be left out but not null', (dto, field, rest) => {
    expect(failing(dto, rest)).toEqual([]);
    expect(failing(dto, { ...rest, [field]: null })).toEqual([field]);
  });
});
