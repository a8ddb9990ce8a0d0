/**
 * Exact money arithmetic for ad spend: amounts travel as decimal strings (NUMERIC in PostgreSQL),
 * never through binary floating point.
 */

/** Google Ads `cost_micros` (an int64, as a JSON string or number) → currency units, exactly. */
export function microsToDecimal(micros: unknown): string | undefined {
  const text = typeof micros === 'number' && Number.isSafeInteger(micros) ? String(micros) : micros;
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const units = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${units}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A finite number in plain decimal notation: the shortest digits that read back as the number (what
 * String gives), with String's exponent form ("1.5e-7", "1e+21") written out ("0.00000015"), since
 * NUMERIC columns and storableCost read only plain decimals.
 */
function plainNumber(value: number): string {
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponent] = match;
  const digits = whole + fraction;
  const point = whole.length + Number(exponent);
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + plain;
}

/** A provider's decimal amount ("12.34", 12.34) as a decimal string; undefined when it is not one. */
export function decimalString(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return plainNumber(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return value.trim();
  return undefined;
}

/**
 * A provider's spend as an ad cost row carries it: the exact decimal, or '0' when the amount is absent
 * (left out as a zero, as Google's proto3 JSON does). An amount that is there but unreadable ("abc",
 * "NaN", "1e400", "", null, an object) is NaN, which storableCost refuses: the row is left out with a
 * warning instead of being stored as a made-up 0.
 */
export function spendAmount(
  value: unknown,
  read: (value: unknown) => string | undefined = decimalString,
): string | number {
  if (value === undefined) return '0';
  return read(value) ?? Number.NaN;
}

/** The calendar date (YYYY-MM-DD) of an instant in an IANA time zone. */
export function localDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** `day` moved by `days` calendar days (YYYY-MM-DD in, YYYY-MM-DD out). */
export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
