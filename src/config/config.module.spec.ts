import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { APP_CONFIG, AppConfig, parseAppConfig } from './app-config';
import { AppConfigService, ConfigModule } from './config.module';

const config = parseAppConfig({
  JWT_SECRET: 'x'.repeat(32),
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/never',
});

@Injectable()
class Consumer {
  constructor(
    @Inject(APP_CONFIG) readonly appConfig: AppConfig,
    @Inject(ConfigService) readonly configService: AppConfigService,
  ) {}
}

describe('ConfigModule (on @nestjs/config)', () => {
  it('hands out the AppConfig it was given, as APP_CONFIG and through ConfigService, parsed by nobody else', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(config)],
      providers: [Consumer],
    }).compile();
    const consumer = moduleRef.get(Consumer);
    expect(consumer.appConfig).toBe(config);
    const typed = consumer.configService;
    expect(typed.get('app', { infer: true })).toBe(config);
    expect(typed.get('app.webhooks.maxAttempts', { infer: true })).toBe(config.webhooks.maxAttempts);
    await moduleRef.close();
  });

  it('neither reads nor writes process.env', async () => {
    const before = { ...process.env };
    expect(before.PATH).toBeDefined();
    const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config)] }).compile();
    const service = moduleRef.get(ConfigService);
    // skipProcessEnv: a variable of the process is not configuration
    expect(service.get('PATH')).toBeUndefined();
    expect({ ...process.env }).toEqual(before);
    await moduleRef.close();
  });

  it('keeps two applications of one process apart', async () => {
    const other = { ...config, port: config.port + 1 };
    const [a, b] = await Promise.all(
      [config, other].map((c) => Test.createTestingModule({ imports: [ConfigModule.forRoot(c)] }).compile()),
    );
    expect(a.get<AppConfig>(APP_CONFIG).port).toBe(config.port);
    expect(b.get<AppConfig>(APP_CONFIG).port).toBe(other.port);
    expect(b.get(ConfigService).get('app.port')).toBe(other.port);
    await Promise.all([a.close(), b.close()]);
  });
});
