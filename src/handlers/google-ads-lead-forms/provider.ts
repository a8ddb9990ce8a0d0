import { defineProvider } from '../provider';
import { GoogleAdsLeadFormsHandler } from './google-ads-lead-forms.handler';

export const provider = defineProvider({
  handler: GoogleAdsLeadFormsHandler,
  platform: 'google-ads',
});
