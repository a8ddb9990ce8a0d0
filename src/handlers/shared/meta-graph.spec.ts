import { OutboundError } from '../../common/outbound/http-client';
import { graphSaid } from './meta-graph';

const TOKEN = 'EAAG-page-token-0001';
const SECRET = 'app-secret-0001';
const refused = (message: string): OutboundError =>
  new OutboundError('client', 'GET /1 answered 400: [redacted]', 400, { error: { message, code: 190 } });

describe('graphSaid: what Graph said, without what the call carried', () => {
  it('redacts query values, bearer credentials, access_token= and the configured secrets', () => {
    const said = graphSaid(
      refused(
        `Bad token in https://graph.example/v25.0/1?fields=id&appsecret_proof=abcdef0123&access_token=${TOKEN} ` +
          `(Authorization: Bearer ${TOKEN}; access_token: ${TOKEN}; app ${SECRET}; ${encodeURIComponent(SECRET)})`,
      ),
      [TOKEN, SECRET, undefined],
    );
    expect(said).not.toContain(TOKEN);
    expect(said).not.toContain(SECRET);
    expect(said).not.toContain('abcdef0123');
    expect(said).toContain('Bad token in https://graph.example/v25.0/1?fields=[redacted]');
  });

  it("keeps Graph's ordinary words, and names the status when Graph said nothing", () => {
    expect(graphSaid(refused('Invalid OAuth access token.'), [TOKEN])).toBe('Invalid OAuth access token.');
    expect(graphSaid(new OutboundError('client', 'x', 404, 'not json'), [TOKEN])).toBe('HTTP 404');
  });
});
