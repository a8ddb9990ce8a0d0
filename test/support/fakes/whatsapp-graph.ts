// A fake WhatsApp Cloud API (Meta Graph) on 127.0.0.1 that behaves like the real one for what the
// hub does: sends, throughput and pair limits, per-recipient failures, templates, and a log of every
// send so a test or bench can check rates and duplicates. Point META_GRAPH_URL (the handler's
// `ctx.urls.metaGraph`) at `fake.url`; a version prefix (`/v23.0/…`) is accepted or not needed.
//
//   const fake = await FakeWhatsAppGraph.start({ messagesPerSecond: 80, appSecret });
//   fake.templates.add(WABA, { name: 'hello_world', language: 'en_US', category: 'UTILITY', components: [...] });
//   fake.failFor('5511900000000', 131026);              // async: accepted, then a failed status
//   ... run the code under test ...
//   fake.maxInAnyWindow(1000)  // ≤ 80       fake.duplicates() // []       fake.perSecond() // histogram
//   await deliver(webhookUrl, fake.webhooks(PHONE_ID).statuses(fake.statusesFor(wamid, 'read', now)));
//
// Behaviour and its sources (Meta): POST /{phone-number-id}/messages answers
// `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id: "wamid…" }] }` (+ `message_status`
// for templates) — …/messages/send-messages and the official Node SDK test fixture. Throughput 80
// messages/s per business number by default (…/whatsapp/throughput) → error 130429; pair rate limit
// (~1 message per 6 s to one user, bursts borrow from future quota, Cloud API overview) → 131056. Both
// answer HTTP 400: the error-codes table's "HTTP Status Code" column gives 400 for its throttling
// rows (4 and 80007 read in a copy of the page; the 130429 cell was cut off in every copy we found,
// so `throttleStatus` is configurable). Code 190 (token) answers 401 per the same table.
import { FakeReply, FakeRequest, FakeServer } from '../fake-server';
import { FakeTemplateStore, graphError } from './whatsapp-graph-templates';
import { newWamid, statusOf, StatusValue, WhatsAppWebhooks } from './whatsapp-webhooks';

export interface FakeWhatsAppGraphOptions {
  /** The bearer token every call must carry (default `fake-whatsapp-token`). */
  accessToken?: string;
  /** App secret that signs webhook deliveries built by `webhooks()` (default `fake-app-secret`). */
  appSecret?: string;
  /** Accepted messages per second per phone number, counted over any 1,000 ms (default 80). */
  messagesPerSecond?: number;
  /** Messages to one recipient: a bucket of `burst` refilled one per `everyMs` (default 45 / 6 s); null: off. */
  pairLimit?: { burst: number; everyMs: number } | null;
  /** HTTP status of 130429/131056 answers (default 400). */
  throttleStatus?: number;
  /** WABA owning each phone number id (for templates); unknown numbers belong to `defaultWabaId`. */
  numbers?: Record<string, string>;
  defaultWabaId?: string;
  /** Milliseconds; injected by tests of the fake. */
  now?: () => number;
}

export interface FakeSend {
  at: number;
  phoneNumberId: string;
  to: string;
  waId: string;
  type: string;
  template?: string;
  /** `accepted`, or the error code the fake answered with. */
  outcome: 'accepted' | number;
  wamid?: string;
  bizOpaqueCallbackData?: string;
  body: unknown;
}

interface Failure {
  code: number;
  mode: 'sync' | 'async';
}

const FAILURES: Record<number, { title: string; details: string }> = {
  131026: { title: 'Message undeliverable', details: 'Unable to deliver message.' },
  131047: {
    title: 'Re-engagement message',
    details: 'More than 24 hours have passed since the recipient last replied to the sender number.',
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
  },
  131050: {
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The recipient has stopped marketing messages.',
  },
};

const MESSAGES_PATH = /^(?:\/v\d+\.\d+)?\/([0-9]+)\/messages$/;
const TEMPLATES_PATH = /^(?:\/v\d+\.\d+)?\/([0-9]+)\/message_templates$/;
const digits = (to: string) => to.replace(/[^0-9]/g, '');

export class FakeWhatsAppGraph {
  readonly templates = new FakeTemplateStore();
  readonly sends: FakeSend[] = [];
  /** Accepted sends are recorded at once but answered this much later (a worker killed mid-request). */
  answerDelayMs = 0;
  private readonly failures = new Map<string, Failure>();
  private readonly waIds = new Map<string, string>();
  private readonly pairs = new Map<string, { tokens: number; at: number }>();
  private readonly numberRates = new Map<string, number>();
  private pairLimit: FakeWhatsAppGraphOptions['pairLimit'];
  private readonly options: Required<Omit<FakeWhatsAppGraphOptions, 'pairLimit'>> &
    Pick<FakeWhatsAppGraphOptions, 'pairLimit'>;

  private constructor(
    private readonly server: FakeServer,
    options: FakeWhatsAppGraphOptions,
  ) {
    this.options = {
      accessToken: 'fake-whatsapp-token',
      appSecret: 'fake-app-secret',
      messagesPerSecond: 80,
      throttleStatus: 400,
      numbers: {},
      defaultWabaId: '102290129340398',
      now: Date.now,
      ...options,
      pairLimit: options.pairLimit === undefined ? { burst: 45, everyMs: 6000 } : options.pairLimit,
    };
    this.pairLimit = this.options.pairLimit;
    server.on('POST', MESSAGES_PATH, (req) => this.authorized(req, () => this.send(req)));
    server.on('GET', TEMPLATES_PATH, (req) =>
      this.authorized(req, () => this.templates.page(this.pathId(req, TEMPLATES_PATH), req.query)),
    );
    server.on('POST', TEMPLATES_PATH, (req) =>
      this.authorized(req, () => this.templates.create(this.pathId(req, TEMPLATES_PATH), req.body)),
    );
    server.on('DELETE', TEMPLATES_PATH, (req) =>
      this.authorized(req, () => this.templates.delete(this.pathId(req, TEMPLATES_PATH), req.query)),
    );
  }

  static async start(options: FakeWhatsAppGraphOptions = {}): Promise<FakeWhatsAppGraph> {
    return new FakeWhatsAppGraph(await FakeServer.start(), options);
  }

  get url(): string {
    return this.server.url;
  }

  /** Every request as received (method, path, headers, body). */
  get requests(): readonly FakeRequest[] {
    return this.server.requests;
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  /** This number's throughput at Meta (a lower tier than the hub was configured with: 130429 answers). */
  setNumberRate(phoneNumberId: string, messagesPerSecond: number | null): void {
    if (messagesPerSecond === null) this.numberRates.delete(phoneNumberId);
    else this.numberRates.set(phoneNumberId, messagesPerSecond);
  }

  /** The pair rate limit from now on (null: off); the pairs' state is forgotten. */
  setPairLimit(limit: { burst: number; everyMs: number } | null): void {
    this.pairLimit = limit;
    this.pairs.clear();
  }

  /** Sends the fake refused with this code (130429, 131056 …). */
  refused(code: number, phoneNumberId?: string): FakeSend[] {
    return this.sends.filter((s) => s.outcome === code && (!phoneNumberId || s.phoneNumberId === phoneNumberId));
  }

  /** Forgets sends, failures, wa_id mappings and pair state (templates stay). */
  reset(): void {
    this.sends.length = 0;
    this.server.requests.length = 0;
    this.failures.clear();
    this.waIds.clear();
    this.pairs.clear();
  }

  /** Sends to this recipient fail with `code`: `async` (default) = accepted, then a failed status; `sync` = HTTP 400. */
  failFor(to: string, code: 131026 | 131047 | 131049 | 131050, mode: 'sync' | 'async' = 'async'): void {
    this.failures.set(digits(to), { code, mode });
  }

  /** The wa_id WhatsApp answers for an input (e.g. a Brazilian number without its ninth digit). */
  setWaId(input: string, waId: string): void {
    this.waIds.set(digits(input), waId);
  }

  wabaOf(phoneNumberId: string): string {
    return this.options.numbers[phoneNumberId] ?? this.options.defaultWabaId;
  }

  /** Signed webhook deliveries for one of the fake's numbers. */
  webhooks(phoneNumberId: string, displayPhoneNumber?: string): WhatsAppWebhooks {
    return new WhatsAppWebhooks(this.options.appSecret, {
      wabaId: this.wabaOf(phoneNumberId),
      phoneNumberId,
      displayPhoneNumber,
    });
  }

  /**
   * The statuses WhatsApp would report for an accepted send, in order, up to `upTo` (a failing
   * recipient gets its `failed` status instead), one second apart from `startSeconds`.
   */
  statusesFor(
    wamid: string,
    upTo: Exclude<StatusValue, 'failed'>,
    startSeconds: number,
  ): Array<Record<string, unknown>> {
    const send = this.sends.find((s) => s.wamid === wamid);
    if (!send) throw new Error(`the fake accepted no message ${wamid}`);
    const common = { recipientId: send.waId, bizOpaqueCallbackData: send.bizOpaqueCallbackData };
    const failure = this.failures.get(digits(send.to));
    if (failure?.mode === 'async') {
      const { title, details } = FAILURES[failure.code];
      return [
        statusOf(wamid, 'failed', {
          ...common,
          timestamp: startSeconds,
          errors: [{ code: failure.code, title, details }],
        }),
      ];
    }
    const category = send.type === 'template' ? 'marketing' : 'service';
    const steps = (['sent', 'delivered', 'read'] as const).slice(0, ['sent', 'delivered', 'read'].indexOf(upTo) + 1);
    return steps.map((status, i) =>
      statusOf(wamid, status, {
        ...common,
        timestamp: startSeconds + i,
        ...(status === 'sent' ? { pricingCategory: category } : {}),
      }),
    );
  }

  accepted(phoneNumberId?: string): FakeSend[] {
    return this.sends.filter((s) => s.outcome === 'accepted' && (!phoneNumberId || s.phoneNumberId === phoneNumberId));
  }

  /** Accepted sends per whole second since the first one (the bench's histogram). */
  perSecond(phoneNumberId?: string): number[] {
    const sends = this.accepted(phoneNumberId);
    if (sends.length === 0) return [];
    const start = Math.min(...sends.map((s) => s.at));
    const histogram: number[] = [];
    for (const s of sends) {
      const second = Math.floor((s.at - start) / 1000);
      while (histogram.length <= second) histogram.push(0);
      histogram[second]++;
    }
    return histogram;
  }

  /** The most accepted sends of one number inside any window of `windowMs` (sliding, not aligned). */
  maxInAnyWindow(windowMs = 1000, phoneNumberId?: string): number {
    const times = this.accepted(phoneNumberId)
      .map((s) => s.at)
      .sort((a, b) => a - b);
    let max = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= windowMs) j++;
      max = Math.max(max, i - j + 1);
    }
    return max;
  }

  /** Recipients that were accepted more than once, with their count. */
  duplicates(phoneNumberId?: string): Array<{ to: string; count: number }> {
    const counts = new Map<string, number>();
    for (const s of this.accepted(phoneNumberId)) counts.set(digits(s.to), (counts.get(digits(s.to)) ?? 0) + 1);
    return [...counts].filter(([, count]) => count > 1).map(([to, count]) => ({ to, count }));
  }

  private pathId(req: FakeRequest, pattern: RegExp): string {
    return pattern.exec(req.path)?.[1] ?? '';
  }

  private authorized(req: FakeRequest, handle: () => FakeReply): FakeReply {
    if (req.headers.authorization !== `Bearer ${this.options.accessToken}`)
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    return handle();
  }

  private send(req: FakeRequest): FakeReply {
    const now = this.options.now();
    const phoneNumberId = this.pathId(req, MESSAGES_PATH);
    const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
    const to = typeof body.to === 'string' ? body.to : '';
    const type = typeof body.type === 'string' ? body.type : 'text';
    const template =
      typeof body.template === 'object' && body.template !== null
        ? (body.template as Record<string, unknown>)
        : undefined;
    const record = (outcome: FakeSend['outcome'], wamid?: string): void => {
      this.sends.push({
        at: now,
        phoneNumberId,
        to,
        waId: this.waIds.get(digits(to)) ?? digits(to),
        type,
        ...(template ? { template: String(template.name) } : {}),
        outcome,
        ...(wamid ? { wamid } : {}),
        ...(typeof body.biz_opaque_callback_data === 'string'
          ? { bizOpaqueCallbackData: body.biz_opaque_callback_data }
          : {}),
        body: req.body,
      });
    };
    const refuse = (reply: ReturnType<typeof graphError>): FakeReply => {
      record(Number(reply.body.error.code));
      return reply;
    };

    if (body.messaging_product !== 'whatsapp' || !/^\+?[0-9]{6,15}$/.test(to))
      return refuse(
        graphError(400, 100, 'Invalid parameter', 'messaging_product must be whatsapp and to a phone number'),
      );
    if (type === 'text') {
      const text =
        typeof body.text === 'object' && body.text !== null ? (body.text as Record<string, unknown>).body : undefined;
      if (typeof text !== 'string' || text.length === 0 || text.length > 4096)
        return refuse(graphError(400, 100, 'Invalid parameter', 'text.body must be 1 to 4096 characters'));
    } else if (type === 'template') {
      const problem = this.templates.checkSend(this.wabaOf(phoneNumberId), template);
      if (problem) return refuse(problem);
    }
    // throughput of the number over the last second: accepted sends count, refused ones do not
    const recent = this.sends.filter(
      (s) => s.phoneNumberId === phoneNumberId && s.outcome === 'accepted' && now - s.at < 1000,
    );
    if (recent.length >= (this.numberRates.get(phoneNumberId) ?? this.options.messagesPerSecond))
      return refuse({
        ...graphError(
          this.options.throttleStatus,
          130429,
          'Rate limit hit',
          'Cloud API message throughput has been reached.',
        ),
      });
    if (!this.takePairToken(`${phoneNumberId}:${digits(to)}`, now))
      return refuse(
        graphError(
          this.options.throttleStatus,
          131056,
          '(Business Account, Consumer Account) pair rate limit hit',
          'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
        ),
      );
    const failure = this.failures.get(digits(to));
    if (failure?.mode === 'sync') {
      const { title, details } = FAILURES[failure.code];
      return refuse(graphError(400, failure.code, title, details));
    }
    const wamid = newWamid();
    record('accepted', wamid);
    return {
      status: 200,
      ...(this.answerDelayMs > 0 ? { delayMs: this.answerDelayMs } : {}),
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: this.waIds.get(digits(to)) ?? digits(to) }],
        messages: [{ id: wamid, ...(type === 'template' ? { message_status: 'accepted' } : {}) }],
      },
    };
  }

  private takePairToken(pair: string, now: number): boolean {
    const limit = this.pairLimit;
    if (!limit) return true;
    const state = this.pairs.get(pair) ?? { tokens: limit.burst, at: now };
    const tokens = Math.min(limit.burst, state.tokens + (now - state.at) / limit.everyMs);
    if (tokens < 1) {
      this.pairs.set(pair, { tokens, at: now });
      return false;
    }
    this.pairs.set(pair, { tokens: tokens - 1, at: now });
    return true;
  }
}
