// Send parameters checked against a template and built into the Cloud API template object; lead placeholders.
import { TemplateProblem } from './template-rules';
import { prepareTemplateSend, resolveLeadPlaceholders, StoredTemplate } from './template-send';

const promo: StoredTemplate = {
  name: 'limited_time_offer',
  language: 'en_US',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}!', example: { header_text: ['Mark'] } },
    { type: 'BODY', text: 'Get our {{1}} for {{2}}.', example: { body_text: [['Tuscan Getaway', '800']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Stop promotions' },
        { type: 'URL', text: 'Shop', url: 'https://shop.example/p?promo={{1}}', example: ['summer2023'] },
      ],
    },
  ],
};

const named: StoredTemplate = {
  name: 'order_confirmation',
  language: 'pt_BR',
  parameter_format: 'NAMED',
  components: [
    {
      type: 'HEADER',
      format: 'TEXT',
      text: 'Olá {{first_name}}',
      example: { header_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] },
    },
    {
      type: 'BODY',
      text: '{{first_name}}, seu pedido {{order_id}} saiu.',
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Ana' },
          { param_name: 'order_id', example: '42' },
        ],
      },
    },
  ],
};

const imageHeader: StoredTemplate = {
  name: 'receipt',
  language: 'en',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1h'] } },
    { type: 'BODY', text: 'Thanks!' },
  ],
};

const problems = (result: ReturnType<typeof prepareTemplateSend>) =>
  result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);

// an AUTHENTICATION template as Meta lists it after creation: preset body, expiry footer, the OTP button as URL
const otp: StoredTemplate = {
  name: 'login_code',
  language: 'en_US',
  category: 'AUTHENTICATION',
  components: [
    {
      type: 'BODY',
      text: '*{{1}}* is your verification code. For your security, do not share this code.',
      example: { body_text: [['123456']] },
    },
    { type: 'FOOTER', text: 'This code expires in 10 minutes.' },
    {
      type: 'BUTTONS',
      buttons: [
        {
          type: 'URL',
          text: 'Copy code',
          url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp{{1}}',
          example: ['https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp123456'],
        },
      ],
    },
  ],
};

describe('prepareTemplateSend', () => {
  it('sends an AUTHENTICATION code in the body and the OTP button from the one value given', () => {
    const prepared = prepareTemplateSend(otp, { '1': '482913' });
    expect(prepared).toEqual({
      ok: true,
      template: {
        name: 'login_code',
        language: { policy: 'deterministic', code: 'en_US' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
        ],
      },
    });
    // a button value given explicitly wins; other categories still need it given
    const explicit = prepareTemplateSend(otp, { '1': '482913', 'button.0': '482913' });
    expect(explicit.ok).toBe(true);
    const utility = prepareTemplateSend({ ...otp, category: 'UTILITY' }, { '1': '482913' });
    expect(utility.ok ? [] : utility.problems.map((p) => p.path)).toEqual(['parameters.button.0']);
  });

  it('reports a problem of the AUTHENTICATION code once, under the key the caller gave it as', () => {
    const placeholder = prepareTemplateSend(otp, { '1': '{{lead.firstName}}' });
    expect(placeholder.ok ? [] : placeholder.problems.map((p) => p.path)).toEqual(['parameters.1']);
    const missing = prepareTemplateSend(otp, {});
    expect(missing.ok ? [] : missing.problems.map((p) => p.path)).toEqual(['parameters.1']);
    const spaced = prepareTemplateSend(otp, { 'body.1': '48 29 13' });
    expect(spaced.ok ? [] : spaced.problems).toEqual([
      { path: 'parameters.body.1', message: 'a URL suffix must be non-empty, without spaces' },
    ]);
  });

  it('refuses an AUTHENTICATION code longer than the 15 characters Meta takes, once, before any send', () => {
    expect(prepareTemplateSend(otp, { '1': 'A'.repeat(15) }).ok).toBe(true);
    expect(prepareTemplateSend(otp, { '1': '😀'.repeat(15) }).ok).toBe(true);
    expect(problems(prepareTemplateSend(otp, { '1': '1234567890123456' }))).toEqual([
      'parameters.1: a one-time code has at most 15 characters',
    ]);
    expect(problems(prepareTemplateSend(otp, { 'body.1': '482913', 'button.0': 'x'.repeat(16) }))).toEqual([
      'parameters.button.0: a one-time code has at most 15 characters',
    ]);
    // other categories keep their own limits: a 16-character body value is fine there
    expect(prepareTemplateSend({ ...otp, category: 'UTILITY' }, { '1': 'x'.repeat(16), 'button.0': 'y' }).ok).toBe(
      true,
    );
  });

  it('builds header, body (in number order) and URL button components for a positional template', () => {
    const result = prepareTemplateSend(promo, {
      'header.1': 'Ana',
      '2': '$800',
      '1': 'Tuscan trip',
      'button.1': 'ANA10',
    });
    expect(result).toEqual({
      ok: true,
      template: {
        name: 'limited_time_offer',
        language: { policy: 'deterministic', code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Tuscan trip' },
              { type: 'text', text: '$800' },
            ],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'ANA10' }] },
        ],
      },
    });
  });

  it('sends parameter_name for NAMED templates; a bare name fills the header and the body', () => {
    const result = prepareTemplateSend(named, { first_name: 'Ana', order_id: 'PED-9' });
    expect(result.ok && result.template.components).toEqual([
      { type: 'header', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ana' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'first_name', text: 'Ana' },
          { type: 'text', parameter_name: 'order_id', text: 'PED-9' },
        ],
      },
    ]);
  });

  it('lets NAMED header and body values differ when given explicitly, and refuses one given twice', () => {
    const result = prepareTemplateSend(named, {
      'header.first_name': 'Ana',
      'body.first_name': 'Ana Paula',
      order_id: '9',
    });
    expect(result.ok && result.template.components?.map((c) => c.parameters[0].text)).toEqual(['Ana', 'Ana Paula']);
    expect(problems(prepareTemplateSend(named, { first_name: 'Ana', 'body.first_name': 'B', order_id: '9' }))).toEqual([
      'parameters.body.first_name: body {{first_name}} given twice',
    ]);
    expect(
      problems(prepareTemplateSend(promo, { 'header.1': 'A', '1': 'a', 'body.1': 'b', '2': 'c', 'button.1': 's' })),
    ).toEqual(['parameters.body.1: body {{1}} given twice']);
  });

  it('refuses a wrong count before Meta would answer 132000: missing, extra and unknown keys', () => {
    expect(problems(prepareTemplateSend(promo, { '1': 'x', 'header.1': 'Ana', 'button.1': 'a' }))).toEqual([
      'parameters.2: missing: the template needs a value for body {{2}} (example: "800")',
    ]);
    expect(
      problems(prepareTemplateSend(promo, { '1': 'a', '2': 'b', '3': 'c', 'header.1': 'A', 'button.1': 's' })),
    ).toEqual(['parameters.3: the template limited_time_offer has no parameter 3']);
    expect(problems(prepareTemplateSend(named, { first_name: 'Ana', order: '1' }))).toEqual([
      'parameters.order: the template order_confirmation has no parameter order',
      'parameters.order_id: missing: the template needs a value for body {{order_id}} (example: "42")',
    ]);
  });

  it('requires the header parameter, the URL suffix and header media', () => {
    expect(problems(prepareTemplateSend(promo, { '1': 'a', '2': 'b' }))).toEqual([
      'parameters.header.1: missing: the template needs a value for header {{1}} (example: "Mark")',
      'parameters.button.1: missing: the template needs a value for the suffix of URL button 1',
    ]);
    expect(problems(prepareTemplateSend(imageHeader, {}))).toEqual([
      'parameters.header: the template has a IMAGE header: give its link or media id',
    ]);
    expect(problems(prepareTemplateSend(imageHeader, { header: 'http://insecure.example/a.png' }))[0]).toMatch(/https/);
    const byId = prepareTemplateSend(imageHeader, { header: '1003383421387256' });
    expect(byId.ok && byId.template.components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { id: '1003383421387256' } }] },
    ]);
    const byLink = prepareTemplateSend(imageHeader, { header: 'https://cdn.example/r.png' });
    expect(byLink.ok && byLink.template.components?.[0].parameters[0]).toEqual({
      type: 'image',
      image: { link: 'https://cdn.example/r.png' },
    });
  });

  it('refuses values Meta refuses: empty, new lines, tabs, 5 spaces, a long header, a URL suffix with spaces', () => {
    const base = { 'header.1': 'A', '2': 'b', 'button.1': 'x' };
    expect(problems(prepareTemplateSend(promo, { ...base, '1': '  ' }))).toHaveLength(1);
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'line\nbreak' }))[0]).toMatch(/new lines or tabs/);
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'a\tb' }))[0]).toMatch(/new lines or tabs/);
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'a     b' }))[0]).toMatch(/more than 4 spaces/);
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'a    b' }))).toEqual([]);
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'a', 'header.1': 'x'.repeat(61) }))[0]).toMatch(
      /at most 60/,
    );
    expect(problems(prepareTemplateSend(promo, { ...base, '1': 'a', 'button.1': 'two words' }))[0]).toMatch(
      /URL suffix/,
    );
  });

  it('passes a quick-reply payload when one is given for that button', () => {
    const result = prepareTemplateSend(promo, {
      'header.1': 'A',
      '1': 'a',
      '2': 'b',
      'button.1': 's',
      'button.0': 'STOP',
    });
    expect(result.ok && result.template.components?.find((c) => c.sub_type === 'quick_reply')).toEqual({
      type: 'button',
      sub_type: 'quick_reply',
      index: '0',
      parameters: [{ type: 'payload', payload: 'STOP' }],
    });
  });

  it('builds a LOCATION header from coordinates and refuses missing ones', () => {
    const location: StoredTemplate = {
      name: 'delivery',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        { type: 'BODY', text: 'On its way' },
      ],
    };
    const ok = prepareTemplateSend(location, {
      'header.latitude': '37.44',
      'header.longitude': '-122.16',
      'header.name': 'Philz',
    });
    expect(ok.ok && ok.template.components).toEqual([
      {
        type: 'header',
        parameters: [{ type: 'location', location: { latitude: '37.44', longitude: '-122.16', name: 'Philz' } }],
      },
    ]);
    expect(problems(prepareTemplateSend(location, { 'header.latitude': '95' }))).toHaveLength(2);
  });

  it('leaves out components for a template without parameters', () => {
    const hello = { name: 'hello_world', language: 'en_US', components: [{ type: 'BODY', text: 'Welcome!' }] };
    expect(prepareTemplateSend(hello, {})).toEqual({
      ok: true,
      template: { name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' } },
    });
  });

  it('resolves lead placeholders in values before checking them', () => {
    const lead = { firstName: 'Ana', company: null };
    const ok = prepareTemplateSend(named, { first_name: '{{lead.firstName}}', order_id: '{{lead.company|n/a}}' }, lead);
    expect(ok.ok && ok.template.components?.[1].parameters.map((p) => p.text)).toEqual(['Ana', 'n/a']);
    expect(problems(prepareTemplateSend(named, { first_name: '{{lead.firstName}}', order_id: '1' }, {}))[0]).toMatch(
      /the lead has no firstName/,
    );
  });
});

describe('resolveLeadPlaceholders', () => {
  const resolve = (value: string, lead = {}) => {
    const found: TemplateProblem[] = [];
    return { value: resolveLeadPlaceholders(value, lead, 'p', found), problems: found.map((p) => p.message) };
  };

  it('replaces placeholders inside a longer value, with spaces and fallbacks', () => {
    expect(resolve('Hi {{ lead.firstName }} from {{lead.city|your city}}', { firstName: ' Ana ', city: '' })).toEqual({
      value: 'Hi Ana from your city',
      problems: [],
    });
  });

  it('reports unknown fields and missing values without a fallback', () => {
    expect(resolve('{{lead.password}}').problems[0]).toMatch(/unknown lead field/);
    expect(resolve('{{lead.email}}').problems[0]).toMatch(/no email/);
    expect(resolve('{{lead.email|}}').problems[0]).toMatch(/no email/);
    expect(resolve('{{1}} stays')).toEqual({ value: '{{1}} stays', problems: [] });
  });

  it('greets a lead known only by its full name (Meta FULL_NAME) by its first word; lastName is the rest', () => {
    const fullOnly = { fullName: '  María José  García ', firstName: null, lastName: '' };
    expect(resolve('Hi {{lead.firstName}} {{lead.lastName}}', fullOnly)).toEqual({
      value: 'Hi María José García',
      problems: [],
    });
    // its own first name wins; one word has no last name, so the fallback (or a problem) stands
    expect(resolve('{{lead.firstName}}', { fullName: 'Ana Lima', firstName: 'Aninha' }).value).toBe('Aninha');
    expect(resolve('{{lead.lastName|friend}}', { fullName: 'Ana' }).value).toBe('friend');
    expect(resolve('{{lead.firstName}}', { fullName: '   ' }).problems[0]).toMatch(/no firstName/);
  });
});
