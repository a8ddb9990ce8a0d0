import { Injectable, PipeTransform } from '@nestjs/common';
import { DomainException } from '../errors/domain.exception';

const MAX_INT = 2_147_483_647;

/** Integer ids in paths: garbage is a validation error; a number no row can have is simply not found. */
@Injectable()
export class ParseIdPipe implements PipeTransform<unknown, number> {
  // the global ValidationPipe may already have turned the segment into a number (NaN for garbage)
  transform(raw: unknown): number {
    const value = String(raw);
    if (!/^\d{1,18}$/.test(value)) throw DomainException.validation(`"${value.slice(0, 40)}" is not a valid id`);
    const id = Number(value);
    if (id < 1 || id > MAX_INT) throw DomainException.notFound('Resource');
    return id;
  }
}
