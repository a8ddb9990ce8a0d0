import { FacebookAdsHandler } from './facebook-ads/facebook-ads.handler';
import { FacebookMessengerHandler } from './facebook-messenger/facebook-messenger.handler';
import { GenericWebhookHandler } from './generic-webhook/generic-webhook.handler';
import { GoHighLevelHandler } from './gohighlevel/gohighlevel.handler';
import { GoogleAdsLeadFormsHandler } from './google-ads-lead-forms/google-ads-lead-forms.handler';
import { GoogleAnalyticsHandler } from './google-analytics/google-analytics.handler';
import { InstagramDirectHandler } from './instagram-direct/instagram-direct.handler';
import type { IntegrationHandler } from './integration-handler';
import { LinkedInLeadGenHandler } from './linkedin-lead-gen/linkedin-lead-gen.handler';
import { MetaLeadAdsHandler } from './meta-lead-ads/meta-lead-ads.handler';
import { WhatsAppCloudHandler } from './whatsapp-cloud/whatsapp-cloud.handler';

/** Every provider handler class. Handlers are pure (no constructor dependencies). */
export const ALL_HANDLERS: ReadonlyArray<new () => IntegrationHandler> = [
  MetaLeadAdsHandler,
  GoogleAdsLeadFormsHandler,
  LinkedInLeadGenHandler,
  GoHighLevelHandler,
  WhatsAppCloudHandler,
  FacebookMessengerHandler,
  InstagramDirectHandler,
  FacebookAdsHandler,
  GoogleAnalyticsHandler,
  GenericWebhookHandler,
];
