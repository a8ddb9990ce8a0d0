import { ERROR_STATUS, ErrorCode } from './error-code';

/** Thrown by services; the exception filter turns it into the API.md error shape. */
export class DomainException extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
    /** Extra response headers, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
    /** Extra body fields beside the standard ones (e.g. `success: false` of a connection test). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainException';
    this.status = ERROR_STATUS[code];
  }

  static notFound(entity: string): DomainException {
    return new DomainException(ErrorCode.NOT_FOUND, `${entity} not found`);
  }

  static forbidden(message = 'You may not act on this resource'): DomainException {
    return new DomainException(ErrorCode.FORBIDDEN, message);
  }

  static conflict(message: string, details?: unknown[]): DomainException {
    return new DomainException(ErrorCode.CONFLICT, message, details);
  }

  static validation(message: string, details?: unknown[]): DomainException {
    return new DomainException(ErrorCode.VALIDATION_FAILED, message, details);
  }
}
