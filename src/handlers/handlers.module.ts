import { Global, Module } from '@nestjs/common';
import { ALL_HANDLERS } from './providers';
import { HandlerRegistry, INTEGRATION_HANDLERS } from './handler-registry';
import type { IntegrationHandler } from './integration-handler';

/** Registers every provider folder's handler class and the registry keyed by handler key (boot fails on a duplicate). */
@Global()
@Module({
  providers: [
    ...ALL_HANDLERS,
    {
      provide: INTEGRATION_HANDLERS,
      inject: [...ALL_HANDLERS],
      useFactory: (...handlers: IntegrationHandler[]) => handlers,
    },
    HandlerRegistry,
  ],
  exports: [HandlerRegistry, ...ALL_HANDLERS],
})
export class HandlersModule {}
