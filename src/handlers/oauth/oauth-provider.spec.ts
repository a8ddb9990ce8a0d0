import type { AppConfig } from '../../config/app-config';
import { HandlerOAuth, idTokenSubject, withAppCredentials } from './oauth-provider';

const apps = {
  meta: { clientId: 'hub-app', clientSecret: 'hub-secret', authorizeUrl: 'https://a', tokenUrl: 'https://t' },
  linkedin: { clientId: 'li-hub', clientSecret: 'li-hub-secret', authorizeUrl: 'https://a', tokenUrl: 'https://t' },
  google: { authorizeUrl: 'https://a', tokenUrl: 'https://t' },
  gohighlevel: { authorizeUrl: 'https://a', tokenUrl: 'https://t' },
} satisfies AppConfig['oauth']['apps'];

const meta: HandlerOAuth = {
  provider: 'meta',
  scopes: [],
  tokenField: 'pageAccessToken',
  appFields: { appSecret: 'clientSecret' },
};

describe('withAppCredentials', () => {
  it("fills the hub app's credentials into the empty app fields of an integration connected through it", () => {
    expect(withAppCredentials({ pageId: '1' }, meta, 'meta', apps)).toEqual({ pageId: '1', appSecret: 'hub-secret' });
    const linkedin: HandlerOAuth = {
      provider: 'linkedin',
      scopes: [],
      tokenField: 'accessToken',
      appFields: { clientId: 'clientId', clientSecret: 'clientSecret' },
    };
    expect(withAppCredentials({}, linkedin, 'linkedin', apps)).toEqual({
      clientId: 'li-hub',
      clientSecret: 'li-hub-secret',
    });
  });

  it('keeps a pasted value, and leaves integrations not connected through OAuth as they are', () => {
    expect(withAppCredentials({ appSecret: 'pasted' }, meta, 'meta', apps)).toEqual({ appSecret: 'pasted' });
    expect(withAppCredentials({ pageId: '1' }, meta, null, apps)).toEqual({ pageId: '1' });
    expect(withAppCredentials({ pageId: '1' }, meta, 'linkedin', apps)).toEqual({ pageId: '1' });
    expect(withAppCredentials({ pageId: '1' }, undefined, 'meta', apps)).toEqual({ pageId: '1' });
    // no app configured in the environment: nothing to fill with
    const google: HandlerOAuth = { ...meta, provider: 'google' };
    expect(withAppCredentials({}, google, 'google', apps)).toEqual({});
  });
});

describe('idTokenSubject', () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it("reads the id_token's sub", () => {
    const idToken = `${part({ alg: 'RS256' })}.${part({ sub: '1100223344', aud: 'client' })}.sig`;
    expect(idTokenSubject({ access_token: 'at', id_token: idToken })).toBe('1100223344');
  });
  it('answers undefined without an id_token or for one that is not a JWT', () => {
    expect(idTokenSubject({ access_token: 'at' })).toBeUndefined();
    expect(idTokenSubject({ id_token: 'garbage' })).toBeUndefined();
    expect(idTokenSubject({ id_token: 'a.%%%.c' })).toBeUndefined();
    expect(idTokenSubject(null)).toBeUndefined();
  });
});
