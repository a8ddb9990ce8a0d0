import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { JobDefinitions } from './job-definition';
import { JOB_DEFINITIONS, JobPayloads } from './job-types';
import { JOB_DEFINITIONS_TOKEN, JobsService } from './jobs.service';

@Global()
@Module({})
export class JobsModule {
  /** The application's jobs by default; tests pass their own map and definitions. */
  static forRoot<M = JobPayloads>(definitions?: JobDefinitions<M>): DynamicModule {
    return {
      module: JobsModule,
      imports: [DiscoveryModule],
      providers: [{ provide: JOB_DEFINITIONS_TOKEN, useValue: definitions ?? JOB_DEFINITIONS }, JobsService],
      exports: [JobsService],
    };
  }
}
