import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { HealthService, ReadinessDto } from './health.service';

class LivenessDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

class ReadinessResponseDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' } } })
  info!: Record<string, { status: 'up' }>;
  @ApiProperty({ type: 'object', additionalProperties: true, example: {} })
  error!: Record<string, never>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { database: { status: 'up' }, queue: { status: 'up' } },
  })
  details!: Record<string, { status: 'up' }>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Liveness: the process answers. */
  @Get()
  @ApiOkResponse({ type: LivenessDto })
  @ApiOperation({ summary: 'Check that the process answers (liveness)' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  /** Readiness: the database and the job queue are reachable. */
  @Get('ready')
  @ApiOkResponse({ type: ReadinessResponseDto })
  @ApiServiceUnavailableResponse({ description: 'SERVICE_UNAVAILABLE, naming the components that are down' })
  @ApiOperation({ summary: 'Check that the database and the job queue are reachable (readiness)' })
  ready(): Promise<ReadinessDto> {
    return this.health.ready();
  }
}
