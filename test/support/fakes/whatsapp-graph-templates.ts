// The message templates of a fake WhatsApp Business Account, with Meta's template-management
// endpoints (used by FakeWhatsAppGraph) and the checks Meta makes when a template is sent.
//
//   GET    /{waba-id}/message_templates?limit=&after=&name=&status=  → { data, paging: { cursors, next? } }
//   POST   /{waba-id}/message_templates { name, language, category, components, parameter_format? }
//          → { id, status: 'PENDING', category }
//   DELETE /{waba-id}/message_templates?name=[&hsm_id=]             → { success: true } (every language, or one id)
//
// Sources: Meta's OpenAPI spec (github.com/facebook/openapi business-messaging-api_v23.0.yaml):
// list with `paging.cursors.{before,after}`, create answers `{ id, status: PENDING, category }`,
// delete by `name` with optional `hsm_id`. Send-time errors 132001 (template missing in that
// language / not approved) and 132000 (parameter count mismatch): Meta's error-codes page.

export interface FakeTemplate {
  id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  parameter_format: 'POSITIONAL' | 'NAMED';
  components: Array<Record<string, unknown>>;
  rejected_reason?: string;
  quality_score?: { score: string };
}

export interface GraphErrorReply {
  status: number;
  body: { error: Record<string, unknown> };
}

export function graphError(status: number, code: number, message: string, details?: string): GraphErrorReply {
  return {
    status,
    body: {
      error: {
        message: `(#${code}) ${message}`,
        type: 'OAuthException',
        code,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: 'AFakeTraceId',
      },
    },
  };
}

const PLACEHOLDER = /\{\{([^{}]+)\}\}/g;
const distinct = (text: unknown) =>
  typeof text === 'string' ? [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))] : [];

export class FakeTemplateStore {
  private readonly byWaba = new Map<string, FakeTemplate[]>();
  private nextId = 1_700_000_000_000_000;

  clear(): void {
    this.byWaba.clear();
  }

  list(wabaId: string): FakeTemplate[] {
    return this.byWaba.get(wabaId) ?? [];
  }

  /** Adds a template as if it had been created earlier (APPROVED unless said otherwise). */
  add(
    wabaId: string,
    template: Omit<FakeTemplate, 'id' | 'status' | 'parameter_format'> & Partial<FakeTemplate>,
  ): FakeTemplate {
    const stored: FakeTemplate = {
      id: String(this.nextId++),
      status: 'APPROVED',
      parameter_format: 'POSITIONAL',
      ...template,
    };
    this.byWaba.set(wabaId, [...this.list(wabaId), stored]);
    return stored;
  }

  find(wabaId: string, name: string, language: string): FakeTemplate | undefined {
    return this.list(wabaId).find((t) => t.name === name && t.language === language);
  }

  setStatus(wabaId: string, name: string, language: string, status: string, reason?: string): FakeTemplate {
    const template = this.find(wabaId, name, language);
    if (!template) throw new Error(`no fake template ${name}/${language} in WABA ${wabaId}`);
    template.status = status;
    if (reason !== undefined) template.rejected_reason = reason;
    return template;
  }

  /** GET: cursor paging over the WABA's templates (cursor = position, base64 like Meta's opaque ones). */
  page(wabaId: string, query: URLSearchParams): { status: number; body: unknown } {
    const limit = Math.min(Math.max(Number(query.get('limit') ?? 25) || 25, 1), 1000);
    const after = query.get('after');
    const start = after ? Number(Buffer.from(after, 'base64').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0) return graphError(400, 100, 'Invalid parameter', 'bad cursor');
    const all = this.list(wabaId).filter(
      (t) =>
        (!query.get('name') || t.name === query.get('name')) &&
        (!query.get('status') || t.status === query.get('status')),
    );
    const data = all.slice(start, start + limit);
    const cursor = (n: number) => Buffer.from(String(n), 'utf8').toString('base64');
    const more = start + limit < all.length;
    return {
      status: 200,
      body: {
        data,
        paging: {
          cursors: { before: cursor(start), after: cursor(start + data.length) },
          ...(more
            ? { next: `https://graph.facebook.com/${wabaId}/message_templates?after=${cursor(start + data.length)}` }
            : {}),
        },
      },
    };
  }

  /** POST: Meta accepts the submission and reviews it later (status PENDING). */
  create(wabaId: string, body: unknown): { status: number; body: unknown } {
    const input = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const { name, language, category, components } = input;
    if (typeof name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(name) || typeof language !== 'string')
      return graphError(400, 100, 'Invalid parameter', 'name and language are required');
    if (!['MARKETING', 'UTILITY', 'AUTHENTICATION'].includes(String(category)) || !Array.isArray(components))
      return graphError(400, 100, 'Invalid parameter', 'category and components are required');
    if (this.find(wabaId, name, language))
      return graphError(400, 100, 'Invalid parameter', `Content in this language already exists for ${name}`);
    const created = this.add(wabaId, {
      name,
      language,
      category: String(category),
      status: 'PENDING',
      parameter_format: input.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL',
      components: listed(
        String(category),
        components.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null),
      ),
    });
    return { status: 200, body: { id: created.id, status: created.status, category: created.category } };
  }

  /** DELETE by name (every language) or by name and hsm_id (that one). */
  delete(wabaId: string, query: URLSearchParams): { status: number; body: unknown } {
    const name = query.get('name');
    const id = query.get('hsm_id');
    if (!name) return graphError(400, 100, 'Invalid parameter', 'name is required');
    const all = this.list(wabaId);
    const kept = all.filter((t) => !(t.name === name && (!id || t.id === id)));
    if (kept.length === all.length) return graphError(400, 100, 'Invalid parameter', `Template ${name} not found`);
    this.byWaba.set(wabaId, kept);
    return { status: 200, body: { success: true } };
  }

  /**
   * The send-time checks: the template exists in that language and is approved (else 132001), and
   * each component gets as many parameters as the template has variables (else 132000); NAMED
   * templates need every `parameter_name`.
   */
  checkSend(wabaId: string, template: unknown): GraphErrorReply | null {
    const sent = typeof template === 'object' && template !== null ? (template as Record<string, unknown>) : {};
    const language =
      typeof sent.language === 'object' && sent.language !== null
        ? (sent.language as Record<string, unknown>).code
        : undefined;
    const stored = this.find(wabaId, String(sent.name), String(language));
    if (!stored || stored.status !== 'APPROVED')
      return graphError(
        400,
        132001,
        'Template name does not exist in the translation',
        `template name (${String(sent.name)}) does not exist in ${String(language)}`,
      );
    const given = Array.isArray(sent.components) ? (sent.components as Array<Record<string, unknown>>) : [];
    const params = (type: string, index?: number) => {
      const c = given.find((g) => g.type === type && (index === undefined || String(g.index) === String(index)));
      return Array.isArray(c?.parameters) ? (c.parameters as Array<Record<string, unknown>>) : [];
    };
    const mismatch = (what: string) =>
      graphError(400, 132000, 'Number of parameters does not match the expected number of params', what);
    for (const component of stored.components) {
      const type = String(component.type).toUpperCase();
      if (type === 'BODY' || (type === 'HEADER' && component.format === 'TEXT')) {
        const names = distinct(component.text);
        const got = params(type.toLowerCase());
        if (got.length !== names.length)
          return mismatch(`${type.toLowerCase()}: expected ${names.length}, got ${got.length}`);
        if (stored.parameter_format === 'NAMED' && !names.every((n) => got.some((p) => p.parameter_name === n)))
          return mismatch(`${type.toLowerCase()}: parameter names do not match`);
      } else if (type === 'HEADER' && component.format !== 'LOCATION' && params('header').length !== 1) {
        return mismatch('header: expected 1 media parameter');
      } else if (type === 'BUTTONS' && Array.isArray(component.buttons)) {
        const buttons = component.buttons as Array<Record<string, unknown>>;
        for (const [index, button] of buttons.entries())
          if (button.type === 'URL' && distinct(button.url).length > 0 && params('button', index).length !== 1)
            return mismatch(`button ${index}: expected the URL suffix`);
      }
    }
    return null;
  }
}

/**
 * The components Meta lists for a template it created. An AUTHENTICATION template's preset body and
 * footer get their text, and its OTP button is listed as a URL button ending in the code
 * (developers.facebook.com/docs/whatsapp/business-management-api/authentication-templates: "in your
 * template creation request the button type is designated as OTP, but upon creation the button type
 * will be set to URL"). Other templates are listed as submitted.
 */
function listed(category: string, components: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  if (category !== 'AUTHENTICATION') return components;
  const of = (type: string) => components.find((c) => String(c.type).toUpperCase() === type);
  const footer = of('FOOTER');
  const minutes = typeof footer?.code_expiration_minutes === 'number' ? footer.code_expiration_minutes : null;
  const buttons = Array.isArray(of('BUTTONS')?.buttons)
    ? (of('BUTTONS')?.buttons as Array<Record<string, unknown>>)
    : [];
  const button = buttons[0] ?? {};
  const url = (code: string) =>
    `https://www.whatsapp.com/otp/code/?otp_type=${(typeof button.otp_type === 'string' ? button.otp_type : 'COPY_CODE').toUpperCase()}${minutes ? `&code_expiration_minutes=${minutes}` : ''}&code=otp${code}`;
  return [
    {
      type: 'BODY',
      text: `*{{1}}* is your verification code.${of('BODY')?.add_security_recommendation === true ? ' For your security, do not share this code.' : ''}`,
      example: { body_text: [['123456']] },
    },
    ...(minutes ? [{ type: 'FOOTER', text: `This code expires in ${minutes} minutes.` }] : []),
    {
      type: 'BUTTONS',
      buttons: [
        {
          type: 'URL',
          text: typeof button.text === 'string' ? button.text : 'Copy code',
          url: url('{{1}}'),
          example: [url('123456')],
        },
      ],
    },
  ];
}
