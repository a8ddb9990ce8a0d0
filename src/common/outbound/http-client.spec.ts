import { failureFields, OutboundError } from './http-client';

describe('failureFields (what a log line may say about a failed provider call)', () => {
  it("gives an OutboundError's class, kind and status, never its message or body", () => {
    const err = new OutboundError('client', 'Permissions error for EAAG-secret-token', 400, {
      token: 'EAAG-secret-token',
    });
    expect(failureFields(err)).toEqual({ reason: 'OutboundError', kind: 'client', status: 400 });
    expect(JSON.stringify(failureFields(err))).not.toContain('EAAG');
  });

  it('leaves the status out when there was no answer', () => {
    expect(failureFields(new OutboundError('timeout', 'no answer in 400 ms'))).toEqual({
      reason: 'OutboundError',
      kind: 'timeout',
    });
  });

  it('gives only the class of other errors, and "unknown" for thrown non-errors', () => {
    expect(failureFields(new TypeError('token EAAG-secret-token is malformed'))).toEqual({ reason: 'TypeError' });
    expect(failureFields('EAAG-secret-token')).toEqual({ reason: 'unknown' });
  });
});
