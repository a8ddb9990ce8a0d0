import { Injectable } from '@nestjs/common';
import { HealthCheckAttempt, PrismaHealthIndicator } from '@nestjs/terminus';
import { PrismaService } from './prisma.service';

/** The database's readiness probe: terminus's Prisma indicator on the process's one Prisma client. */
@Injectable()
export class DatabaseHealthIndicator {
  constructor(
    private readonly prismaIndicator: PrismaHealthIndicator,
    private readonly prisma: PrismaService,
  ) {}

  pingCheck(key: string, timeoutMs: number): HealthCheckAttempt<string> {
    return this.prismaIndicator.pingCheck(key, this.prisma, { timeout: timeoutMs });
  }
}
