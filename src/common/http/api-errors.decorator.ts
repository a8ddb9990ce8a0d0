import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorCode } from '../errors/error-code';

/**
 * The one error body of API.md, as AllExceptionsFilter writes it. Declared so that /api/docs shows
 * each route's error answers next to its success answer (only success answers were documented).
 */
export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated' }) statusCode!: number;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.VALIDATION_FAILED }) code!: ErrorCode;
  @ApiProperty({ example: 'pageSize must not be greater than 200' }) message!: string;
  @ApiProperty({
    type: 'array',
    items: {},
    description:
      'Empty when there is nothing to add; a refused field is `{ field, messages[] }`, a JSON Schema problem names its `pointer`, a conflict may name the ids involved',
  })
  details!: unknown[];
  @ApiPropertyOptional({ description: '500 INTERNAL only: quote it when reporting the error (it is in the log)' })
  errorId?: string;
}

/** What each status means wherever it is declared; a route narrows it with `[status, description]`. */
const DEFAULT_DESCRIPTIONS = {
  400: 'VALIDATION_FAILED: a body field, query parameter or path id is invalid, or an unknown body field was sent',
  401: 'UNAUTHENTICATED: no bearer token, or one that is expired or not signed for this server',
  403: "FORBIDDEN: the caller's role may not use this route, or the sub-account named is not one it may act on",
  404: 'NOT_FOUND: no such record, or one in a sub-account the caller may not act on',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE: send application/json',
  429: 'RATE_LIMIT_EXCEEDED: retry after the number of seconds in Retry-After',
} as const;

type DefaultStatus = keyof typeof DEFAULT_DESCRIPTIONS;
/** A status with its usual meaning, or any error status with the codes this route answers with it. */
export type ErrorAnswer = DefaultStatus | readonly [status: number, description: string];

/**
 * Declares a route's (or every route of a controller's) error answers with the shared error schema:
 * `@ApiErrors(400, 401, 404, [409, 'CONFLICT: …'])`.
 */
export function ApiErrors(...answers: ErrorAnswer[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ...answers.map((answer) => {
      const [status, description] = typeof answer === 'number' ? [answer, DEFAULT_DESCRIPTIONS[answer]] : answer;
      // always JSON, also on a route that produces files (the report download)
      return ApiResponse({
        status,
        description,
        content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } },
      });
    }),
  );
}
