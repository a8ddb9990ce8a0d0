// Template create rules for MARKETING and UTILITY templates (names, components, examples, Meta's button limits).
import { TemplateCheck } from './template-rules';
import { validateTemplateCreate } from './template-create-rules';

// Shapes follow Meta's create examples (POST /{waba-id}/message_templates in Meta's OpenAPI spec).
const body = (text: string, example?: unknown) => ({ type: 'BODY', text, ...(example ? { example } : {}) });
const positional = (components: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  components,
  ...extra,
});
const problemsOf = (check: TemplateCheck) => (check.ok ? [] : check.problems);
const messages = (check: TemplateCheck) => problemsOf(check).map((p) => `${p.path}: ${p.message}`);

describe('validateTemplateCreate', () => {
  it('accepts a positional template with every kind of component and builds the Meta request', () => {
    const check = validateTemplateCreate(
      positional([
        { type: 'header', format: 'TEXT', text: 'Our {{1}} is on!', example: { header_text: ['Summer Sale'] } },
        body('Shop through {{1}} with code {{2}} for {{3}} off.', { body_text: [['August', '25OFF', '25%']] }),
        { type: 'FOOTER', text: 'Tap below to manage promotions' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Stop promotions' },
            {
              type: 'URL',
              text: 'Shop now',
              url: 'https://shop.example/p?c={{1}}',
              example: ['https://shop.example/p?c=25OFF'],
            },
            { type: 'PHONE_NUMBER', text: 'Call', phone_number: '16467043595' },
          ],
        },
      ]),
    );
    expect(messages(check)).toEqual([]);
    if (!check.ok) return;
    expect(check.request).toMatchObject({ name: 'order_update', parameter_format: 'POSITIONAL', category: 'UTILITY' });
    expect(check.request.components.map((c) => c.type)).toEqual(['HEADER', 'BODY', 'FOOTER', 'BUTTONS']);
  });

  it('accepts a NAMED template whose examples name every parameter', () => {
    const check = validateTemplateCreate(
      positional(
        [
          {
            type: 'HEADER',
            format: 'TEXT',
            text: 'Sale starts {{sale_start_date}}!',
            example: { header_text_named_params: [{ param_name: 'sale_start_date', example: 'December 1st' }] },
          },
          body('Hi {{first_name}}, use {{code}}', {
            body_text_named_params: [
              { param_name: 'first_name', example: 'Ana' },
              { param_name: 'code', example: 'XMAS' },
            ],
          }),
        ],
        { parameterFormat: 'NAMED', category: 'marketing' },
      ),
    );
    expect(messages(check)).toEqual([]);
    expect(check.ok && check.request).toMatchObject({ parameter_format: 'NAMED', category: 'MARKETING' });
  });

  it('accepts LOCATION and media headers (with a sample handle)', () => {
    for (const header of [
      { type: 'HEADER', format: 'LOCATION' },
      { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['4::YXBwbGljYXRpb24vcGRm:ARZ'] } },
    ]) {
      expect(messages(validateTemplateCreate(positional([header, body('Your order is on its way.')])))).toEqual([]);
    }
  });

  it.each([
    ['Order-Update', 'name'],
    ['', 'name'],
    ['a'.repeat(513), 'name'],
  ])('refuses the name %j', (name, path) => {
    expect(problemsOf(validateTemplateCreate(positional([body('Hi')], { name }))).map((p) => p.path)).toContain(path);
  });

  it('refuses an unknown category, a bad language and a bad format', () => {
    const paths = (extra: Record<string, unknown>) =>
      problemsOf(validateTemplateCreate(positional([body('Hi')], extra))).map((p) => p.path);
    expect(paths({ category: 'PROMO' })).toEqual(['category']);
    expect(paths({ language: 'english' })).toEqual(['language']);
    expect(paths({ parameterFormat: 'BY_NAME' })).toEqual(['parameterFormat']);
  });

  it('requires exactly one BODY and at most one of the others', () => {
    expect(messages(validateTemplateCreate(positional([{ type: 'FOOTER', text: 'x' }])))).toContain(
      'components: exactly one BODY component',
    );
    expect(messages(validateTemplateCreate(positional([body('a'), body('b')])))).toContain(
      'components: exactly one BODY component',
    );
    const twoFooters = positional([body('a'), { type: 'FOOTER', text: 'x' }, { type: 'FOOTER', text: 'y' }]);
    expect(messages(validateTemplateCreate(twoFooters))).toContain('components: at most one FOOTER component');
    expect(messages(validateTemplateCreate(positional([])))).toContain(
      'components: components must be a non-empty array',
    );
    expect(problemsOf(validateTemplateCreate(positional([body('a'), { type: 'CAROUSEL' }])))[0].path).toBe(
      'components[1].type',
    );
  });

  it('requires an example for every variable, in the format the template declares', () => {
    const missing = validateTemplateCreate(positional([body('Hi {{1}}, order {{2}}', { body_text: [['Ana']] })]));
    expect(messages(missing)).toEqual([
      'components[0].example.body_text: an example is required for every parameter: missing {{2}}',
    ]);
    const none = validateTemplateCreate(positional([body('Hi {{1}}')]));
    expect(problemsOf(none)[0].path).toBe('components[0].example.body_text');
    const namedWithoutExamples = validateTemplateCreate(
      positional([body('Hi {{name}}')], { parameterFormat: 'NAMED' }),
    );
    expect(problemsOf(namedWithoutExamples)[0].path).toBe('components[0].example.body_text_named_params');
    const blank = validateTemplateCreate(positional([body('Hi {{1}}', { body_text: [['  ']] })]));
    expect(problemsOf(blank)).toHaveLength(1);
  });

  it('refuses examples for parameters the text does not have', () => {
    const extra = validateTemplateCreate(positional([body('Hi {{1}}', { body_text: [['Ana', 'spare']] })]));
    expect(messages(extra)).toEqual([
      'components[0].example.body_text: examples for parameters the text does not have: {{2}}',
    ]);
    const named = validateTemplateCreate(
      positional(
        [
          body('Hi {{name}}', {
            body_text_named_params: [
              { param_name: 'name', example: 'Ana' },
              { param_name: 'city', example: 'Rio' },
            ],
          }),
        ],
        { parameterFormat: 'NAMED' },
      ),
    );
    expect(messages(named)).toEqual([
      'components[0].example.body_text_named_params: examples for parameters the text does not have: {{city}}',
    ]);
  });

  // API.md's create body has no parameterFormat: the named examples every variable needs say it
  it('reads a template as NAMED from its named examples when parameterFormat is left out', () => {
    const check = validateTemplateCreate(
      positional([
        body('Hi {{first_name}}', { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] }),
      ]),
    );
    expect(check).toMatchObject({ ok: true, request: { parameter_format: 'NAMED' } });
    const stated = validateTemplateCreate(
      positional(
        [body('Hi {{first_name}}', { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] })],
        {
          parameterFormat: 'POSITIONAL',
        },
      ),
    );
    expect(messages(stated)[0]).toMatch(/not positional/);
  });

  it('refuses gaps, mixed formats and malformed placeholders', () => {
    const gap = validateTemplateCreate(positional([body('Hi {{1}} {{3}}', { body_text: [['a', 'b', 'c']] })]));
    expect(messages(gap)).toContain('components[0].text: positional placeholders must be {{1}} to {{2}} without gaps');
    const named = validateTemplateCreate(positional([body('Hi {{first_name}}', { body_text: [['a']] })]));
    expect(messages(named)[0]).toMatch(/not positional/);
    const positionalInNamed = validateTemplateCreate(
      positional([body('Hi {{1}}', { body_text_named_params: [{ param_name: '1', example: 'a' }] })], {
        parameterFormat: 'NAMED',
      }),
    );
    expect(messages(positionalInNamed)[0]).toMatch(/not a named parameter/);
    expect(messages(validateTemplateCreate(positional([body('Hi {{ 1 }}', { body_text: [['a']] })])))[0]).toMatch(
      /\{\{ 1 \}\} is not positional/,
    );
  });

  it('enforces text limits: header 60 and one parameter, body 1024, footer 60 without parameters', () => {
    const longHeader = { type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) };
    expect(messages(validateTemplateCreate(positional([longHeader, body('a')])))[0]).toMatch(
      /header text must be 1 to 60/,
    );
    const twoVars = { type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}', example: { header_text: ['a', 'b'] } };
    expect(messages(validateTemplateCreate(positional([twoVars, body('a')])))).toContain(
      'components[0].text: a text header takes at most one parameter',
    );
    expect(messages(validateTemplateCreate(positional([body('x'.repeat(1025))])))[0]).toMatch(/1 to 1024/);
    const footer = { type: 'FOOTER', text: 'Ref {{1}}' };
    expect(messages(validateTemplateCreate(positional([body('a'), footer])))).toContain(
      'components[1].text: a footer takes no parameters',
    );
  });

  it('requires a sample handle for media headers and knows the header formats', () => {
    const image = { type: 'HEADER', format: 'IMAGE' };
    expect(problemsOf(validateTemplateCreate(positional([image, body('a')])))[0].path).toBe(
      'components[0].example.header_handle',
    );
    expect(
      problemsOf(validateTemplateCreate(positional([{ type: 'HEADER', format: 'AUDIO' }, body('a')])))[0].path,
    ).toBe('components[0].format');
  });

  describe('buttons, with Meta limits', () => {
    const withButtons = (buttons: unknown[]) =>
      validateTemplateCreate(positional([body('a'), { type: 'BUTTONS', buttons }]));
    const qr = (text = 'Yes') => ({ type: 'QUICK_REPLY', text });
    const url = (u = 'https://a.example/x') => ({ type: 'URL', text: 'Open', url: u });
    const phone = { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+5511987654321' };

    it('allows 10 quick replies but not 11, nor an empty list', () => {
      expect(messages(withButtons(Array.from({ length: 10 }, () => qr())))).toEqual([]);
      expect(messages(withButtons(Array.from({ length: 11 }, () => qr())))).toEqual([
        'components[1].buttons: BUTTONS holds 1 to 10 buttons',
      ]);
      expect(messages(withButtons([]))).toHaveLength(1);
    });

    it('allows at most 2 URL buttons and 1 phone number button', () => {
      expect(messages(withButtons([url(), url(), url()]))).toContain('components[1].buttons: at most 2 URL buttons');
      expect(messages(withButtons([phone, phone]))).toContain('components[1].buttons: at most 1 PHONE_NUMBER button');
    });

    it('keeps quick replies in one group apart from the other buttons', () => {
      expect(messages(withButtons([qr(), qr(), url(), phone]))).toEqual([]);
      expect(messages(withButtons([url(), qr(), qr()]))).toEqual([]);
      expect(messages(withButtons([qr(), url(), qr()]))[0]).toMatch(/group QUICK_REPLY buttons together/);
    });

    it('checks texts, URLs, suffix variables and phone numbers', () => {
      expect(messages(withButtons([qr('x'.repeat(26))]))[0]).toMatch(/button text must be 1 to 25/);
      expect(messages(withButtons([url('ftp://a.example')]))[0]).toMatch(/http\(s\) address/);
      expect(messages(withButtons([url('https://a.example/{{1}}/x')]))[0]).toMatch(/at the end of the address/);
      expect(messages(withButtons([url('https://a.example/{{1}}')]))[0]).toMatch(/needs an example/);
      expect(messages(withButtons([{ ...url('https://a.example/{{1}}'), example: ['https://a.example/42'] }]))).toEqual(
        [],
      );
      expect(messages(withButtons([{ ...phone, phone_number: 'call me' }]))[0]).toMatch(/phone_number/);
      expect(messages(withButtons([{ type: 'OTP', text: 'Copy' }]))[0]).toMatch(/QUICK_REPLY, URL or PHONE_NUMBER/);
    });
  });

  it('reports every problem at once and survives garbage', () => {
    expect(problemsOf(validateTemplateCreate(null)).map((p) => p.path)).toEqual(
      expect.arrayContaining(['name', 'language', 'category', 'components']),
    );
    expect(problemsOf(validateTemplateCreate(positional([body('a'), 'header', 7]))).map((p) => p.path)).toEqual([
      'components[1]',
      'components[2]',
    ]);
  });
});
