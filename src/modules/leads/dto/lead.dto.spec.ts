import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { LEAD_PLATFORMS } from '../../../handlers/providers';
import { ListLeadsQueryDto, PLATFORMS } from './lead.dto';

const errorsOf = (query: Record<string, string>): string[] =>
  validateSync(plainToInstance(ListLeadsQueryDto, query)).map((e) => e.property);

describe('ListLeadsQueryDto source: a string in the API document, checked against the registry at runtime', () => {
  it('accepts every registered lead platform and manual', () => {
    expect(PLATFORMS).toEqual([...LEAD_PLATFORMS, 'manual']);
    for (const source of PLATFORMS) expect(errorsOf({ source })).toEqual([]);
  });

  it('refuses a platform no provider declares', () => {
    expect(errorsOf({ source: 'myspace' })).toEqual(['source']);
  });
});
