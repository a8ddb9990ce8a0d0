import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { SendMessageDto } from './message.dto';

const errorsOf = (body: Record<string, unknown>): string[] =>
  validateSync(plainToInstance(SendMessageDto, body)).map((e) => e.property);

describe('SendMessageDto text', () => {
  it('refuses a text of only whitespace: no message to send (as POST /api/messages refuses it)', () => {
    for (const text of [' ', '   ', '\n\t \r\n', '']) {
      expect([text, errorsOf({ subAccountId: 1, integrationId: 2, to: '+14155552671', text })]).toEqual([
        text,
        ['text'],
      ]);
    }
  });

  it('takes a text with words, spaces around them kept', () => {
    expect(errorsOf({ subAccountId: 1, integrationId: 2, to: '+14155552671', text: '  hi there  ' })).toEqual([]);
  });
});
