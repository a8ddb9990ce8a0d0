import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractWhatsAppEvents } from '../../handlers/whatsapp-cloud/whatsapp-cloud.webhook';
import { reportedProblem } from './whatsapp-events.service';

const official = (): unknown =>
  JSON.parse(
    readFileSync(join(__dirname, '../../handlers/whatsapp-cloud/fixtures/errors-value-level-130429.json'), 'utf8'),
  );

describe('reportedProblem (value.errors in words an operator reads on the event)', () => {
  it("reads Meta's example as code, title and details", () => {
    const [event] = extractWhatsAppEvents(official());
    expect(reportedProblem(event)).toBe(
      '130429 Rate limit hit: Message failed to send because there were too many messages sent from this phone number in a short period of time',
    );
  });

  it('joins several errors, leaves out what is missing or repeated, and never throws on garbage', () => {
    const payload = {
      phoneNumberId: '1',
      errors: [
        { code: 131000, title: 'Something went wrong', details: 'Something went wrong' },
        { message: 'Only a message' },
        { code: 'x', details: 'Only details' },
        7,
      ],
    };
    expect(reportedProblem({ eventType: 'errors', payload })).toBe(
      '131000 Something went wrong; Only a message; WhatsApp error: Only details',
    );
    expect(reportedProblem({ eventType: 'errors', payload: { errors: [] } })).toBeNull();
    expect(reportedProblem({ eventType: 'errors', payload: 'oops' })).toBeNull();
    expect(reportedProblem({ eventType: 'status', payload })).toBeNull();
  });

  it('is bounded: a huge report is cut, not stored whole in lastError', () => {
    const errors = Array.from({ length: 100 }, (_, i) => ({ code: i, title: 'x'.repeat(100) }));
    expect(reportedProblem({ eventType: 'errors', payload: { errors } })?.length).toBe(2000);
  });
});
