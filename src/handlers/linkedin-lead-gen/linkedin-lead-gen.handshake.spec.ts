import { createHmac, randomUUID } from 'node:crypto';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

const CONFIG = { organizationId: '1', clientId: 'app-1', clientSecret: 'client-secret-1', accessToken: 't' };
const handshake = new LinkedInLeadGenHandler().webhook.handshake;
const hex = (text: string): string => createHmac('sha256', CONFIG.clientSecret).update(text).digest('hex');

describe('LinkedIn webhook validation (no signing oracle)', () => {
  it('answers a UUID challenge code, addressed to this app or to no app in particular', () => {
    const code = randomUUID();
    const answer = {
      contentType: 'application/json',
      body: JSON.stringify({ challengeCode: code, challengeResponse: hex(code) }),
    };
    expect(handshake?.({ challengeCode: code }, CONFIG)).toEqual(answer);
    expect(handshake?.({ challengeCode: code, applicationId: 'app-1' }, CONFIG)).toEqual(answer);
  });

  it.each([
    ['the signature of a forged notification', 'hmacsha256={"leadAction":"DELETED"}'],
    ['free text', 'sign me'],
    ['a UUID with a suffix', `${randomUUID()}0`],
    ['a UUID without dashes', randomUUID().replace(/-/g, '')],
  ])('refuses %s as a challenge code', (_name, code) => {
    expect(handshake?.({ challengeCode: code }, CONFIG)).toBeNull();
  });

  it('refuses a challenge addressed to another app, or carrying parameters LinkedIn does not send', () => {
    const code = randomUUID();
    expect(handshake?.({ challengeCode: code, applicationId: 'app-2' }, CONFIG)).toBeNull();
    expect(handshake?.({ challengeCode: code, applicationId: undefined }, CONFIG)).toBeNull();
    expect(handshake?.({ challengeCode: code, extra: '1' }, CONFIG)).toBeNull();
  });
});
