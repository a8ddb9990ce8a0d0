import { parseTokenArgs, TOKEN_USAGE } from './dev-token';

const DAY = 24 * 3600;

describe('parseTokenArgs (npm run token)', () => {
  it('reads the documented options', () => {
    expect(parseTokenArgs(['--role', 'MANAGER', '--sub-accounts', '1,2', '--sub', 'ana', '--hours', '2'], DAY)).toEqual(
      {
        kind: 'token',
        role: 'MANAGER',
        subAccountIds: [1, 2],
        sub: 'ana',
        expiresInSeconds: 7200,
      },
    );
    expect(parseTokenArgs([], DAY)).toEqual({
      kind: 'token',
      role: 'ADMIN',
      subAccountIds: [],
      expiresInSeconds: 12 * 3600,
    });
  });

  it('answers --help and -h with the usage', () => {
    expect(parseTokenArgs(['--help'], DAY)).toEqual({ kind: 'help' });
    expect(parseTokenArgs(['-h'], DAY)).toEqual({ kind: 'help' });
    expect(TOKEN_USAGE).toContain('--sub-accounts');
  });

  it('refuses an unknown option with the usage, not a stack trace', () => {
    const answer = parseTokenArgs(['--subaccounts', '1'], DAY);
    expect(answer).toEqual({ kind: 'error', message: expect.stringContaining("Unknown option '--subaccounts'") });
    expect(answer.kind === 'error' && answer.message).toContain(TOKEN_USAGE);
  });

  it.each([['abc'], ['0'], ['-1'], ['48'], ['24.5']])(
    'refuses --hours %s: not a lifetime the API accepts (JWT_MAX_AGE_SECONDS)',
    (hours) => {
      expect(parseTokenArgs([`--hours=${hours}`], DAY)).toEqual({
        kind: 'error',
        message: expect.stringMatching(
          /^--hours must be a number of hours above 0 and at most 24 \(JWT_MAX_AGE_SECONDS is 86400/,
        ),
      });
    },
  );

  it('takes a lifetime up to the maximum age', () => {
    expect(parseTokenArgs(['--hours', '24'], DAY)).toMatchObject({ kind: 'token', expiresInSeconds: DAY });
    expect(parseTokenArgs(['--hours', '0.5'], DAY)).toMatchObject({ kind: 'token', expiresInSeconds: 1800 });
  });
});
