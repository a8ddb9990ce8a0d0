import { HttpException, Logger } from '@nestjs/common';
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

  it('answers 404 for an update or delete by id whose row was deleted after the request read it (P2025)', () => {
    const warned: unknown[] = [];
    const warnLogger = { warn: (...args: unknown[]) => warned.push(args) } as unknown as Logger;
    const prisma7 = Object.assign(
      new Error(
        'Invalid `this.db.prisma.subAccount.update()` invocation: An operation failed because it depends on one or more records that were required but not found. No record was found for an update.',
      ),
      { code: 'P2025', meta: { operation: 'an update' } },
    );
    const earlier = { code: 'P2025', meta: { modelName: 'Report', cause: 'Record to delete does not exist.' } };
    for (const err of [prisma7, earlier]) {
      expect(toErrorBody(err, warnLogger).body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'The record was deleted while this request ran',
      });
    }
    expect(warned).toHaveLength(2);
  });

  it('still answers 500 for other errors: a findUniqueOrThrow that found nothing, a bug, a unique violation', () => {
    const errors: unknown[] = [];
    const errorLogger = { error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const query = Object.assign(new Error('No record was found for a query.'), { code: 'P2025', meta: {} });
    const nested = { code: 'P2025', meta: { cause: "No 'Lead' record (needed to connect) was found." } };
    const bug = new TypeError("Cannot read properties of undefined (reading 'tier')");
    for (const err of [query, nested, bug, { code: 'P2002' }]) {
      const { body } = toErrorBody(err, errorLogger);
      expect({ statusCode: body.statusCode, code: body.code }).toEqual({ statusCode: 500, code: 'INTERNAL' });
    }
    expect(errors).toHaveLength(4);
  });
});

describe("toErrorBody: Fastify's own errors", () => {
  // Nest's Fastify adapter maps a 4xx FastifyError to new HttpException(error.message, status, { cause })
  const mapped = (code: string, statusCode: number, message: string): HttpException =>
    new HttpException(message, statusCode, { cause: Object.assign(new Error(message), { code, statusCode }) });

  it('says which content type to send when the body is not JSON (curl -d sends a form)', () => {
    expect(toErrorBody(mapped('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported Media Type'), logger).body).toEqual({
      statusCode: 415,
      code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      message: 'Unsupported content type: send a JSON body with Content-Type: application/json',
    });
  });

  it('keeps the message of an HttpException caused by something else', () => {
    const other = new HttpException('Not Acceptable here', 409, { cause: new Error('x') });
    expect(toErrorBody(other, logger).body).toEqual({
      statusCode: 409,
      code: ErrorCode.CONFLICT,
      message: 'Not Acceptable here',
    });
  });
});
