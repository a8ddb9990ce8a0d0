import { DomainException } from '../../common/errors/domain.exception';
import { PLATFORMS } from '../leads/dto/lead.dto';
import { FUNNEL_STATUSES } from './dto/sub-account.dto';

/** Points a weight may give or take: a score is 0-100, so more can only overflow the SQL that adds them. */
const MAX_POINTS = 100;
const POINTS = ['answeredCall', 'whatsappReply', 'recency'] as const;
const COUNTS = ['maxAnsweredCalls', 'maxWhatsappReplies'] as const;
const MAX_COUNT = 1000;
const MAX_HALF_LIFE_DAYS = 3650;

interface Problem {
  field: string;
  messages: string[];
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function points(value: unknown, field: string): Problem[] {
  return isNumber(value) && Math.abs(value) <= MAX_POINTS
    ? []
    : [{ field, messages: [`must be a number from -${MAX_POINTS} to ${MAX_POINTS}`] }];
}

function pointsByKey(value: unknown, field: string, keys: readonly string[]): Problem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ field, messages: [`must be an object of points by ${keys.join(', ')}`] }];
  return Object.entries(value).flatMap(([key, item]) =>
    keys.includes(key)
      ? points(item, `${field}.${key}`)
      : [{ field: `${field}.${key}`, messages: [`is not one of ${keys.join(', ')}`] }],
  );
}

/**
 * The lead-score weights a sub-account may set (the SQL of lead_score_weights reads these keys and
 * casts every value to a number on each lead insert, activity and status change): the object when
 * valid, otherwise VALIDATION_FAILED naming every bad field. Unknown keys are refused, not stored.
 */
export function assertScoreWeights(weights: Record<string, unknown>, field = 'scoreWeights'): Record<string, unknown> {
  const problems = Object.entries(weights).flatMap(([key, value]): Problem[] => {
    const path = `${field}.${key}`;
    if (key === 'source') return pointsByKey(value, path, ['default', ...PLATFORMS]);
    if (key === 'stage') return pointsByKey(value, path, FUNNEL_STATUSES);
    if ((POINTS as readonly string[]).includes(key)) return points(value, path);
    if ((COUNTS as readonly string[]).includes(key))
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_COUNT
        ? []
        : [{ field: path, messages: [`must be an integer from 0 to ${MAX_COUNT}`] }];
    if (key === 'recencyHalfLifeDays')
      return isNumber(value) && value >= 0 && value <= MAX_HALF_LIFE_DAYS
        ? []
        : [{ field: path, messages: [`must be a number of days from 0 to ${MAX_HALF_LIFE_DAYS}`] }];
    return [
      {
        field: path,
        messages: [`is not a weight: use source, stage, ${[...POINTS, ...COUNTS].join(', ')} or recencyHalfLifeDays`],
      },
    ];
  });
  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.field} ${p.messages.join(', ')}`).join('; ');
    throw DomainException.validation(summary, problems);
  }
  return weights;
}
