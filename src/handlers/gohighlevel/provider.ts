import { defineProvider } from '../provider';
import { GoHighLevelHandler } from './gohighlevel.handler';

export const provider = defineProvider({
  handler: GoHighLevelHandler,
  platform: 'gohighlevel',
  baseUrls: { ghlApi: 'https://services.leadconnectorhq.com' },
});
