import { META_GRAPH_DEFAULT_URL } from '../shared/meta-graph';
import { defineProvider } from '../provider';
import { FacebookMessengerHandler } from './facebook-messenger.handler';

export const provider = defineProvider({
  handler: FacebookMessengerHandler,
  platform: 'messenger',
  baseUrls: { metaGraph: META_GRAPH_DEFAULT_URL },
});
