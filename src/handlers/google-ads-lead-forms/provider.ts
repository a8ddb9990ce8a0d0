import { defineProvider } from '../provider';
import { GoogleAdsLeadFormsHandler } from './google-ads-lead-forms.handler';
import { GOOGLE_ADS_DEFAULT_URL } from './google-ads-spend';

export const provider = defineProvider({
  handler: GoogleAdsLeadFormsHandler,
  platform: 'google-ads',
  // Google Ads API (spend), versioned: GOOGLE_ADS_API_URL; Google's OAuth token endpoint, where pasted
  // refresh tokens are exchanged: GOOGLE_OAUTH_TOKEN_URL
  baseUrls: { googleAdsApi: GOOGLE_ADS_DEFAULT_URL, googleOAuthToken: 'https://oauth2.googleapis.com/token' },
});
