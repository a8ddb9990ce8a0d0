import { Logger } from '@nestjs/common';
import { DomainException } from './domain.exception';
import { ErrorCode } from './error-code';
import { toErrorBody } from './all-exceptions.filter';

const logger = new Logger('test');
const detailsOf = (details: unknown[]): unknown =>
  toErrorBody(DomainException.validation('Request is invalid', details), logger).body.details;

describe('toErrorBody: details', () => {
  it('gives every problem with one field the DTO validation shape { field, messages[] }', () => {
    expect(
      detailsOf([
        { field: 'name', messages: ['must be a string'] },
        { field: 'leadId', message: 'leadId or to' },
        { path: 'parameters.header', message: 'the IMAGE header needs an https link or a media id' },
      ]),
    ).toEqual([
      { field: 'name', messages: ['must be a string'] },
      { field: 'leadId', messages: ['leadId or to'] },
      { field: 'parameters.header', messages: ['the IMAGE header needs an https link or a media id'] },
    ]);
  });

  it('keeps what else a problem says, and leaves other kinds of details as they are', () => {
    expect(detailsOf([{ field: 'integrationId', message: 'required', choices: [1, 2] }])).toEqual([
      { field: 'integrationId', messages: ['required'], choices: [1, 2] },
    ]);
    const schema = { pointer: '/pageId', message: 'must match pattern' };
    const conflict = { eventId: '42', status: 'PENDING' };
    const ambiguous = { field: 'a', path: 'b', message: 'which one?' };
    expect(detailsOf([schema, conflict, ambiguous, 'text'])).toEqual([schema, conflict, ambiguous, 'text']);
  });

  it('answers without details when there are none', () => {
    const { body } = toErrorBody(new DomainException(ErrorCode.NOT_FOUND, 'Lead not found'), logger);
    expect(body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Lead not found' });
  });
});

describe('toErrorBody: a record deleted while the request ran', () => {
  it('answers 404 for a foreign key that found its row gone (Prisma or a raw statement), never 500', () => {
    const notFound = {
      statusCode: 404,
      code: 'NOT_FOUND',
      message: 'A record this request refers to no longer exists',
    };
    const raw = Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { code: '23503' } });
    for (const err of [{ code: 'P2003' }, { code: '23503' }, raw])
      expect(toErrorBody(err, { warn: () => undefined } as unknown as Logger).body).toEqual(notFound);
    expect(toErrorBody({ code: '23505' }, { error: () => undefined } as unknown as Logger).body.statusCode).toBe(500);
  });
});
