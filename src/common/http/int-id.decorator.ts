import { applyDecorators } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';

/** The largest id of a sub-account, template or integration (PostgreSQL int4). */
export const MAX_INT_ID = 2_147_483_647;

/**
 * An integer id in a body or query (sub-accounts, templates, integrations): 1 … int4. A larger
 * number is a 400 VALIDATION_FAILED here rather than an integer overflow in the database (a 500).
 */
export const IsIntId = (): PropertyDecorator => applyDecorators(IsInt(), Min(1), Max(MAX_INT_ID));
