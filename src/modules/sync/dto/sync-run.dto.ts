import { ApiProperty } from '@nestjs/swagger';

export class SyncRunDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['RUNNING', 'SUCCEEDED', 'FAILED'] }) status!: string;
  @ApiProperty({ enum: ['manual', 'schedule'] }) trigger!: string;
  @ApiProperty() startedAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ example: { fetched: 100, created: 3, updated: 2, unchanged: 95 } }) counts!: {
    fetched: number;
    created: number;
    updated: number;
    unchanged: number;
  };
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "Why the run failed. While RUNNING, why it is waiting: a provider's rate limit pauses the run (`paused until <ISO time>: the provider's rate limit (…)`) and it goes on from its last page then.",
  })
  error!: string | null;
}

export class StartedSyncDto {
  @ApiProperty() jobId!: string;
  @ApiProperty() runId!: string;
}
