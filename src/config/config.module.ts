import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, registerAs } from '@nestjs/config';
import { APP_CONFIG, AppConfig, parseAppConfig } from './app-config';

/**
 * The environment, validated when the application is created (a bad variable stops it with the
 * variable's name), exposed as the typed APP_CONFIG. main.ts loads `.env` before this runs.
 */
export const appConfig = registerAs('app', (): AppConfig => parseAppConfig(process.env));

@Global()
@Module({
  imports: [NestConfigModule.forRoot({ ignoreEnvFile: true }), NestConfigModule.forFeature(appConfig)],
  providers: [{ provide: APP_CONFIG, inject: [appConfig.KEY], useFactory: (config: AppConfig): AppConfig => config }],
  exports: [APP_CONFIG],
})
export class ConfigModule {}
