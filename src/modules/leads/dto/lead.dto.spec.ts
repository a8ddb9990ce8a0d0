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

describe('ListLeadsQueryDto source: the handler key API.md names a provider by', () => {
  it.each([
    ['google-ads-lead-forms', 'google-ads'],
    ['meta-lead-ads', 'meta'],
    ['linkedin-lead-gen', 'linkedin'],
    ['whatsapp-cloud', 'whatsapp'],
    ['generic-webhook', 'generic'],
    ['gohighlevel', 'gohighlevel'],
    ['manual', 'manual'],
  ])('%p filters by the platform %p', (source, platform) => {
    const query = plainToInstance(ListLeadsQueryDto, { source });
    expect(validateSync(query)).toEqual([]);
    expect(query.source).toBe(platform);
  });

  it('a handler key of a provider that makes no leads is still refused', () => {
    expect(errorsOf({ source: 'google-analytics' })).toEqual(['source']);
  });
});
