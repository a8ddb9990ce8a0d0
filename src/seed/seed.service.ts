import { Injectable } from '@nestjs/common';
import { HandlerRegistry } from '../handlers/handler-registry';
import { IntegrationTemplatesRepository } from '../modules/integration-templates/integration-templates.repository';
import { SubAccountsRepository } from '../modules/sub-accounts/sub-accounts.repository';

/**
 * Idempotent seed, run at start after migrations (and by `npm run db:seed`): one standard template
 * per registered handler, created when missing and never overwritten (super-admins may edit them),
 * except that a template still without setup instructions gets its handler's.
 * In development an empty database also gets one demo sub-account so a new user can try the API.
 */
@Injectable()
export class SeedService {
  constructor(
    private readonly registry: HandlerRegistry,
    private readonly templates: IntegrationTemplatesRepository,
    private readonly subAccounts: SubAccountsRepository,
  ) {}

  async run(nodeEnv: string): Promise<string[]> {
    const handlers = this.registry.list();
    const created = await this.templates.createMissing(
      handlers.map((handler) => ({
        name: handler.key,
        displayName: handler.displayName,
        category: handler.category,
        handler: handler.key,
        configSchema: handler.defaultConfigSchema,
        description: `Standard ${handler.displayName} integration`,
        setupInstructions: handler.setupInstructions,
      })),
    );
    // templates seeded before their handler had instructions showed an admin nothing to go by
    const filled = await this.templates.fillMissingSetupInstructions(
      handlers.flatMap((handler) =>
        handler.setupInstructions
          ? [{ name: handler.key, handler: handler.key, setupInstructions: handler.setupInstructions }]
          : [],
      ),
    );
    const done = [
      ...created.map((key) => `template ${key}`),
      ...filled.map((key) => `setup instructions of template ${key}`),
    ];
    if (nodeEnv === 'development') {
      const demo = { name: 'Demo sub-account', tier: 'PRO', defaultRegion: 'US' } as const;
      if (await this.subAccounts.createIfNone(demo)) done.push('demo sub-account');
    }
    return done;
  }
}
