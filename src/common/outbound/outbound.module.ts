import { Global, Module } from '@nestjs/common';
import { Db } from '../../database/db';
import { OutboundBudgetRepository } from './outbound-budget.repository';
import { OutboundHttpFactory } from './outbound-http.factory';

@Global()
@Module({
  providers: [
    {
      provide: OutboundBudgetRepository,
      // its own statements on the pool, never inside a caller's transaction
      useFactory: (db: Db) =>
        new OutboundBudgetRepository({
          query: async (text, values) => ({ rows: await db.sqlAlone({ text }, values ?? []) }),
        }),
      inject: [Db],
    },
    OutboundHttpFactory,
  ],
  exports: [OutboundHttpFactory],
})
export class OutboundModule {}
