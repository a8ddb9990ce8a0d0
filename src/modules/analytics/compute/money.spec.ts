// Decimal money: exact sums, PostgreSQL-style rounding, costs per lead/conversion and exact splits.
import { costPer, formatAmount, isDecimalString, splitEvenly, sumAmounts, sumByCurrency, toDecimal } from './money';

describe('money', () => {
  it('adds decimal strings exactly, where floats would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumAmounts(['0.1', '0.2'])).toBe('0.30');
    expect(sumAmounts(['1234.5678', '0.0022', '-34.57'], 4)).toBe('1200.0000');
    expect(sumAmounts(Array.from({ length: 1000 }, () => '0.01'))).toBe('10.00');
    expect(sumAmounts([])).toBe('0.00');
  });

  it('accepts Decimal-like objects (decimal.js Decimal) and safe integers, and refuses floats and garbage', () => {
    expect(toDecimal({ toString: () => '12.3400' }).toFixed(2)).toBe('12.34');
    expect(toDecimal(42).toFixed(0)).toBe('42');
    for (const bad of [0.1, Number.NaN, 2 ** 60, '1e3', 'abc', '', '1.', '.5', '1,5'])
      expect(() => toDecimal(bad)).toThrow(RangeError);
    expect(isDecimalString('-0.50')).toBe(true);
    expect(isDecimalString(0.5)).toBe(false);
  });

  it('rounds half away from zero, as PostgreSQL round(numeric) does', () => {
    expect(formatAmount('2.345')).toBe('2.35');
    expect(formatAmount('-2.345')).toBe('-2.35');
    expect(formatAmount('2.344999')).toBe('2.34');
    expect(formatAmount('2.5', 0)).toBe('3');
  });

  it('divides cost by leads or fractional conversions, and has no cost for zero of them', () => {
    expect(costPer('100.00', 3)).toBe('33.33');
    expect(costPer('200', 2.5)).toBe('80.00');
    expect(costPer('10', 1.5)).toBe('6.67');
    expect(costPer('10', 2 / 3, 4)).toBe('15.0000');
    expect(costPer('100', 0)).toBeNull();
    expect(costPer('100', '0')).toBeNull();
  });

  it('splits an amount into shares that add back to it exactly', () => {
    expect(splitEvenly('100.00', 3)).toEqual(['33.34', '33.33', '33.33']);
    expect(splitEvenly('0.05', 7)).toEqual(['0.01', '0.01', '0.01', '0.01', '0.01', '0.00', '0.00']);
    expect(splitEvenly('-1.00', 3)).toEqual(['-0.34', '-0.33', '-0.33']);
    expect(splitEvenly('10.005', 2)).toEqual(['5.01', '5.00']); // 10.005 rounds to 10.01 first
    expect(sumAmounts(splitEvenly('1234.5678', 17, 4), 4)).toBe('1234.5678');
    expect(() => splitEvenly('1', 0)).toThrow(RangeError);
  });

  it('sums per currency and never across currencies', () => {
    const totals = sumByCurrency([
      { amount: '10.10', currency: 'usd' },
      { amount: '5', currency: 'USD' },
      { amount: '7.5', currency: 'BRL' },
      { amount: '1', currency: null },
    ]);
    expect([...totals]).toEqual([
      ['USD', '15.10'],
      ['BRL', '7.50'],
      [null, '1.00'],
    ]);
  });
});
