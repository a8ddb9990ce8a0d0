import { parseChange } from './integration-changes';

describe('parseChange (the integration_changes payload)', () => {
  it('reads an id, and an id whose routing is unchanged', () => {
    expect(parseChange('42')).toEqual({ integrationId: 42, scope: 'any' });
    expect(parseChange('42:own')).toEqual({ integrationId: 42, scope: 'own' });
  });

  // anyone with database access may NOTIFY the channel: what is not ours drops everything, never nothing
  it.each(['', 'own', '42:all', '-1', '1.5', '42:own:x', '9'.repeat(16), ' 42'])(
    'reads %p as everything',
    (payload) => {
      expect(parseChange(payload)).toEqual({ integrationId: null, scope: 'any' });
    },
  );
});
