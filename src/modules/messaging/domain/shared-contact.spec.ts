import { sharedContactOf } from './shared-contact';

describe('sharedContactOf', () => {
  it("reads a user_email / user_phone_number quick reply's payload", () => {
    expect(sharedContactOf({ text: 'Ana@Example.com', quickReplyPayload: 'Ana@Example.com' }, 'US')).toEqual({
      email: 'ana@example.com',
    });
    expect(sharedContactOf({ text: '+1 650-555-1234', quickReplyPayload: '+1 650-555-1234' }, 'BR')).toEqual({
      phone: '+16505551234',
    });
  });

  it("reads a national number in the sub-account's region", () => {
    expect(sharedContactOf({ text: '(11) 98765-4321' }, 'BR')).toEqual({ phone: '+5511987654321' });
  });

  it('reads a text that is exactly one e-mail address or phone number', () => {
    expect(sharedContactOf({ text: '  bob@example.org ' }, 'US')).toEqual({ email: 'bob@example.org' });
    expect(sharedContactOf({ text: '+44 20 7946 0958' }, 'US')).toEqual({ phone: '+442079460958' });
  });

  it('shares nothing for other texts, developer payloads, short numbers and invalid numbers', () => {
    expect(sharedContactOf({ text: 'my mail is bob@example.org' }, 'US')).toBeNull();
    expect(sharedContactOf({ text: 'Red', quickReplyPayload: 'DEVELOPER_DEFINED_PAYLOAD' }, 'US')).toBeNull();
    expect(sharedContactOf({ text: 'order 2024' }, 'US')).toBeNull();
    expect(sharedContactOf({ text: '1234' }, 'US')).toBeNull();
    expect(sharedContactOf({ text: '+1 000 000 0000' }, 'US')).toBeNull();
    expect(sharedContactOf({}, 'US')).toBeNull();
  });

  it('prefers the payload to the text', () => {
    expect(sharedContactOf({ text: 'a@b.co', quickReplyPayload: 'c@d.co' }, 'US')).toEqual({ email: 'c@d.co' });
  });
});
