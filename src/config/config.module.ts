import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService, registerAs } from '@nestjs/config';
import { APP_CONFIG, AppConfig } from './app-config';

/** The namespace the parsed AppConfig is registered under in `@nestjs/config`. */
export const APP_CONFIG_NAMESPACE = 'app';

/** `ConfigService` typed by what this application registers: `config.get('app', { infer: true })` is the AppConfig. */
export type AppConfigService = ConfigService<{ [APP_CONFIG_NAMESPACE]: AppConfig }, true>;

/**
 * The configuration parsed once at start (main.ts, a script, or a test), registered with
 * `@nestjs/config` as the `app` namespace (`registerAs`) and exposed as the typed APP_CONFIG (an
 * alias of the namespace's provider) and through `ConfigService`.
 *
 * `@nestjs/config` reads nothing and writes nothing here: no `.env` file (`ignoreEnvFile`), no
 * `process.env` (`validatePredefined: false` keeps it out of the loaded variables, so nothing is
 * assigned back to `process.env`; `skipProcessEnv` keeps `ConfigService#get` from consulting it).
 */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const appConfig = registerAs(APP_CONFIG_NAMESPACE, (): AppConfig => config);
    return {
      module: ConfigModule,
      global: true,
      imports: [
        NestConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [appConfig],
        }),
      ],
      providers: [{ provide: APP_CONFIG, useExisting: appConfig.KEY }],
      exports: [APP_CONFIG],
    };
  }
}
