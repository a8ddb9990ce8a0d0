import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { UndeclaredBodyGuard } from '../http/undeclared-body.guard';
import { JwtAuthGuard, RolesGuard } from './guards';
import { JwtStrategy } from './jwt.strategy';

@Module({
  imports: [PassportModule],
  providers: [
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    // after the two above: a caller without access is told so before anything about its body
    { provide: APP_GUARD, useClass: UndeclaredBodyGuard },
  ],
})
export class AuthModule {}
