import { Inject, Injectable } from '@nestjs/common';
import { IntegrationHandler } from './integration-handler';

export const INTEGRATION_HANDLERS = Symbol('INTEGRATION_HANDLERS');

/** Handler key → handler. Refuses to build (so the app refuses to boot) on a duplicate key. */
@Injectable()
export class HandlerRegistry {
  private readonly byKey = new Map<string, IntegrationHandler>();

  constructor(@Inject(INTEGRATION_HANDLERS) handlers: readonly IntegrationHandler[]) {
    for (const handler of handlers) {
      if (this.byKey.has(handler.key)) throw new Error(`Two integration handlers share the key "${handler.key}"`);
      this.byKey.set(handler.key, handler);
    }
  }

  get(key: string): IntegrationHandler | undefined {
    return this.byKey.get(key);
  }

  require(key: string): IntegrationHandler {
    const handler = this.byKey.get(key);
    if (!handler) throw new Error(`No integration handler is registered for "${key}"`);
    return handler;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  list(): IntegrationHandler[] {
    return [...this.byKey.values()];
  }
}
