import { Body, Controller, Param, Post, Req } from '@nestjs/common';
import { takesBody, undeclaredBodyProblems } from './undeclared-body.guard';

@Controller('probe')
class ProbeController {
  @Post(':id/cancel')
  cancel(@Param('id') id: string): string {
    return id;
  }

  @Post()
  create(@Body() body: object): object {
    return body;
  }

  @Post('hook')
  hook(@Req() req: object): object {
    return req;
  }
}

describe('undeclaredBodyProblems', () => {
  it('takes no body, null and {} on a route declaring none', () => {
    expect(undeclaredBodyProblems(undefined)).toEqual([]);
    expect(undeclaredBodyProblems(null)).toEqual([]);
    expect(undeclaredBodyProblems({})).toEqual([]);
  });

  it('names every key of an object, and refuses an array or a primitive as the body', () => {
    expect(undeclaredBodyProblems({ reason: 'x', force: true }).map((p) => p.field)).toEqual(['reason', 'force']);
    for (const body of [[], [{}], 'x', 0, false])
      expect(undeclaredBodyProblems(body)).toEqual([{ field: 'body', messages: ['this route takes no body'] }]);
  });
});

describe('takesBody', () => {
  it('is true for a declared body or a handler reading the request itself, false otherwise', () => {
    expect(takesBody(ProbeController, 'cancel')).toBe(false);
    expect(takesBody(ProbeController, 'create')).toBe(true);
    expect(takesBody(ProbeController, 'hook')).toBe(true);
  });
});
