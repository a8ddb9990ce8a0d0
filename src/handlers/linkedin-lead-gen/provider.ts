import { defineProvider } from '../provider';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen.handler';

export const provider = defineProvider({
  handler: LinkedInLeadGenHandler,
  platform: 'linkedin',
  baseUrls: { linkedinApi: 'https://api.linkedin.com' },
});
