import { META_GRAPH_DEFAULT_URL } from '../shared/meta-graph';
import { defineProvider } from '../provider';
import { FacebookAdsHandler } from './facebook-ads.handler';

export const provider = defineProvider({
  handler: FacebookAdsHandler,
  baseUrls: { metaGraph: META_GRAPH_DEFAULT_URL },
});
