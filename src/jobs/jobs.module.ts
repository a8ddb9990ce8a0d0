import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobDefinition } from './job-definition';
import { JOB_DEFINITIONS } from './job-types';
import { JOB_DEFINITIONS_TOKEN, JobsService } from './jobs.service';

@Global()
@Module({})
export class JobsModule {
  static forRoot(definitions: readonly JobDefinition[] = JOB_DEFINITIONS): DynamicModule {
    return {
      module: JobsModule,
      imports: [DiscoveryModule],
      providers: [{ provide: JOB_DEFINITIONS_TOKEN, useValue: definitions }, JobsService],
      exports: [JobsService],
    };
  }
}
