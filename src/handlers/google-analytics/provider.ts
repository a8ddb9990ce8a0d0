import { defineProvider } from '../provider';
import { GoogleAnalyticsHandler } from './google-analytics.handler';

export const provider = defineProvider({
  handler: GoogleAnalyticsHandler,
  baseUrls: { googleAnalyticsApi: 'https://analyticsdata.googleapis.com' },
});
