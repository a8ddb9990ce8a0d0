import { META_GRAPH_DEFAULT_URL } from '../shared/meta-graph';
import { defineProvider } from '../provider';
import { InstagramDirectHandler } from './instagram-direct.handler';

export const provider = defineProvider({
  handler: InstagramDirectHandler,
  platform: 'instagram',
  baseUrls: { metaGraph: META_GRAPH_DEFAULT_URL },
});
