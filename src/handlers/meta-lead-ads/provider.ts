import { META_GRAPH_DEFAULT_URL } from '../shared/meta-graph';
import { defineProvider } from '../provider';
import { MetaLeadAdsHandler } from './meta-lead-ads.handler';

export const provider = defineProvider({
  handler: MetaLeadAdsHandler,
  platform: 'meta',
  baseUrls: { metaGraph: META_GRAPH_DEFAULT_URL },
});
