import { DomainException } from '../errors/domain.exception';
import { ErrorCode } from '../errors/error-code';
import { ParseBigIdPipe, ParseIdPipe } from './parse-id.pipe';

const codeOf = (fn: () => unknown): ErrorCode | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof DomainException ? err.code : undefined;
  }
};

describe('id pipes', () => {
  const big = new ParseBigIdPipe();
  const small = new ParseIdPipe();

  it('parse well-formed ids', () => {
    expect(big.transform('42')).toBe(42n);
    expect(big.transform('9223372036854775807')).toBe(9_223_372_036_854_775_807n);
    expect(small.transform('7')).toBe(7);
    expect(small.transform(7)).toBe(7); // already a number after the global ValidationPipe
  });

  it.each(['abc', '-1', '1.5', '1e3', ' 1', '0x10', '', '12345678901234567890', 'NaN'])(
    'answer 400 VALIDATION_FAILED for the malformed %j',
    (raw) => {
      expect(codeOf(() => big.transform(raw))).toBe(ErrorCode.VALIDATION_FAILED);
      expect(codeOf(() => small.transform(raw))).toBe(ErrorCode.VALIDATION_FAILED);
    },
  );

  it('answer 404 for a well-formed id no row can have', () => {
    expect(codeOf(() => big.transform('0'))).toBe(ErrorCode.NOT_FOUND);
    expect(codeOf(() => big.transform('9223372036854775808'))).toBe(ErrorCode.NOT_FOUND);
    expect(codeOf(() => small.transform('2147483648'))).toBe(ErrorCode.NOT_FOUND);
  });
});
