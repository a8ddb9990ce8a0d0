import { META_GRAPH_DEFAULT_URL } from '../shared/meta-graph';
import { defineProvider } from '../provider';
import { WhatsAppCloudHandler } from './whatsapp-cloud.handler';

export const provider = defineProvider({
  handler: WhatsAppCloudHandler,
  platform: 'whatsapp',
  baseUrls: { metaGraph: META_GRAPH_DEFAULT_URL },
});
