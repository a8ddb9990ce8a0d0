import { defineProvider } from '../provider';
import { GenericWebhookHandler } from './generic-webhook.handler';

export const provider = defineProvider({
  handler: GenericWebhookHandler,
  platform: 'generic',
});
