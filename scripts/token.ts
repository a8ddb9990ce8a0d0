// Prints a signed development token: npm run token -- --role ADMIN --sub-accounts 1,2 [--sub alice] [--hours 12]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isRole } from '../src/common/auth/auth-user';
import { signToken } from '../src/common/auth/dev-token';
import { parseAppConfig } from '../src/config/app-config';

if (existsSync('.env')) process.loadEnvFile('.env');
const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'ADMIN' },
    'sub-accounts': { type: 'string', default: '' },
    sub: { type: 'string' },
    hours: { type: 'string', default: '12' },
  },
});
if (!isRole(values.role)) {
  process.stderr.write(`--role must be SUPER_ADMIN, ADMIN, MANAGER or AGENT (got ${values.role})\n`);
  process.exit(2);
}
const subAccountIds = (values['sub-accounts'] ?? '')
  .split(',')
  .filter((s) => s.trim() !== '')
  .map(Number);
if (!subAccountIds.every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('--sub-accounts must be a comma-separated list of positive integers\n');
  process.exit(2);
}
const config = parseAppConfig(process.env);
const token = signToken(
  {
    role: values.role,
    subAccountIds,
    sub: values.sub,
    expiresInSeconds: Number(values.hours) * 3600,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience?.[0],
  },
  { secret: config.jwt.secret, privateKey: process.env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') },
);
process.stdout.write(`${token}\n`);
