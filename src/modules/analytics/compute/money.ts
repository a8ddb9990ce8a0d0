// Money for analytics and reports: amounts travel as decimal strings ("1234.5600") and are computed
// with decimal.js, never with binary floats (0.1 + 0.2 must be 0.3). Prisma returns NUMERIC columns
// as Decimal objects of the same library, so repository values can be passed straight in.
// Rounding is half away from zero, like PostgreSQL's round(numeric), so a figure computed here and
// one computed in SQL agree to the cent.

import { Decimal } from 'decimal.js';

/** A decimal string, an integer, or a Decimal-like object (decimal.js, as NUMERIC is read): exact toString. */
export type DecimalInput = string | number | { toString(): string };

// A private constructor: the global Decimal settings stay untouched for other users of the library.
const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
type MoneyValue = InstanceType<typeof Money>;

const DECIMAL_RE = /^-?\d{1,30}(\.\d{1,20})?$/;

/** Parses an exact decimal; refuses floats (1.1 as a number), exponents, NaN and garbage. */
export function toDecimal(value: DecimalInput): MoneyValue {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not an exact amount: pass money as a string`);
    return new Money(value);
  }
  const text = value.toString();
  if (!DECIMAL_RE.test(text)) throw new RangeError(`"${text.slice(0, 40)}" is not a decimal amount`);
  return new Money(text);
}

/** True for a string the API accepts as an amount. */
export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL_RE.test(value);
}

/** `amount` with exactly `scale` decimals, rounded half away from zero. */
export function formatAmount(amount: DecimalInput, scale = 2): string {
  return toDecimal(amount).toFixed(scale, Decimal.ROUND_HALF_UP);
}

/** The exact sum, formatted with `scale` decimals. */
export function sumAmounts(amounts: Iterable<DecimalInput>, scale = 2): string {
  let total = new Money(0);
  for (const amount of amounts) total = total.plus(toDecimal(amount));
  return total.toFixed(scale, Decimal.ROUND_HALF_UP);
}

/**
 * `amount / count` with `scale` decimals — cost per lead, cost per (possibly fractional) conversion —
 * or null when the count is 0: "no conversions" has no cost per conversion, and 0.00 would lie.
 */
export function costPer(amount: DecimalInput, count: number | DecimalInput, scale = 2): string | null {
  const divisor = typeof count === 'number' ? new Money(count) : toDecimal(count);
  if (!divisor.isFinite() || divisor.lte(0)) return null;
  return toDecimal(amount).div(divisor).toFixed(scale, Decimal.ROUND_HALF_UP);
}

/**
 * Splits `amount` into `parts` shares of `scale` decimals that add up to exactly `amount` (the
 * leftover units go to the first shares): a campaign's spend for a day over that day's leads, so
 * the `sourceTracking.cost` of its leads sum back to the spend.
 */
export function splitEvenly(amount: DecimalInput, parts: number, scale = 2): string[] {
  if (!Number.isSafeInteger(parts) || parts < 1) throw new RangeError('parts must be a positive integer');
  const unit = new Money(10).pow(-scale);
  const total = toDecimal(amount).toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  const units = total.div(unit); // an integer number of cents (or of 10^-scale)
  const base = units.div(parts).trunc();
  const leftover = units.minus(base.times(parts)).toNumber(); // |leftover| < parts
  const step = leftover < 0 ? -1 : 1;
  return Array.from({ length: parts }, (_, i) =>
    base
      .plus(i < Math.abs(leftover) ? step : 0)
      .times(unit)
      .toFixed(scale),
  );
}

/** Sums amounts per currency; amounts in different currencies are never added together. */
export function sumByCurrency(
  items: Iterable<{ readonly amount: DecimalInput; readonly currency: string | null }>,
  scale = 2,
): Map<string | null, string> {
  const totals = new Map<string | null, MoneyValue>();
  for (const item of items) {
    const currency = item.currency === null ? null : item.currency.toUpperCase();
    totals.set(currency, (totals.get(currency) ?? new Money(0)).plus(toDecimal(item.amount)));
  }
  return new Map([...totals].map(([currency, total]) => [currency, total.toFixed(scale, Decimal.ROUND_HALF_UP)]));
}
