import { scopeWhere } from './scope-where';

describe('scopeWhere', () => {
  it('adds nothing for a super-admin scope and an IN list otherwise, on the named column', () => {
    expect(scopeWhere('all')).toEqual({});
    expect(scopeWhere([3, 4])).toEqual({ subAccountId: { in: [3, 4] } });
    expect(scopeWhere([], 'id')).toEqual({ id: { in: [] } });
  });

  it('copies the list, so a later change to the caller’s array cannot widen a query', () => {
    const ids = [1];
    const where = scopeWhere(ids);
    ids.push(2);
    expect(where).toEqual({ subAccountId: { in: [1] } });
  });
});
