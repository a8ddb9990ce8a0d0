import { Injectable, PipeTransform } from '@nestjs/common';
import { DomainException } from '../../common/errors/domain.exception';

/**
 * A calendar id in the passthrough's path. "." and ".." (also sent encoded: the router decodes %2E) are
 * dot-segments in GoHighLevel's URL: "/calendars/../free-slots" would reach GoHighLevel as "/free-slots",
 * a path outside the calendar the route names, called with the integration's token. No calendar has
 * such an id (GoHighLevel's are opaque alphanumerics), so they are refused before any call.
 */
@Injectable()
export class ParseCalendarIdPipe implements PipeTransform<unknown, string> {
  transform(raw: unknown): string {
    const value = String(raw);
    if (value === '.' || value === '..')
      throw DomainException.validation('calendarId is not a calendar id', [
        { field: 'calendarId', messages: ['calendarId must not be "." or ".."'] },
      ]);
    return value;
  }
}
