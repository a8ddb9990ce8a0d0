import { applyDecorators, Injectable, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { DomainException } from '../errors/domain.exception';

const MAX_INT = 2_147_483_647;
const MAX_BIGINT = 9_223_372_036_854_775_807n;
const malformed = (): DomainException => DomainException.validation('The id in the path must be a positive integer');

/**
 * Integer ids in paths (sub-accounts, templates, integrations): garbage is 400 VALIDATION_FAILED;
 * a well-formed number no row can have (0, beyond int4) is simply not found.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  // the path segment's text (the app's ValidationPipe leaves path parameters unconverted)
  transform(raw: unknown): number {
    const value = String(raw);
    if (!/^\d{1,18}$/.test(value)) throw malformed();
    const id = Number(value);
    if (id < 1 || id > MAX_INT) throw DomainException.notFound('Resource');
    return id;
  }
}

/**
 * 64-bit ids in paths (leads, webhook events and other high-volume records, which API.md returns as
 * strings): garbage is 400 VALIDATION_FAILED; a well-formed number no row can have is not found.
 */
@Injectable()
export class ParseBigIdPipe implements PipeTransform<unknown, bigint> {
  transform(raw: unknown): bigint {
    const value = String(raw);
    if (!/^\d{1,19}$/.test(value)) throw malformed();
    const id = BigInt(value);
    if (id < 1n || id > MAX_BIGINT) throw DomainException.notFound('Resource');
    return id;
  }
}

/** Documents a 64-bit path id as API.md returns it: a string of digits (a number would lose precision in JS clients). */
export const ApiBigIdParam = (name = 'id'): MethodDecorator =>
  applyDecorators(ApiParam({ name, schema: { type: 'string', pattern: '^[0-9]{1,19}$' } }));
