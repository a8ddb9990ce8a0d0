// Prints a signed development token: npm run token -- --role ADMIN --sub-accounts 1,2 [--sub alice] [--hours 12]
import { parseArgs } from 'node:util';
import { isRole } from '../src/common/auth/auth-user';
import { signToken } from '../src/common/auth/dev-token';
import { loadAppConfig, readEnvironment } from '../src/config/load-app-config';

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
const env = readEnvironment();
const config = loadAppConfig(env);
const token = signToken(
  {
    role: values.role,
    subAccountIds,
    sub: values.sub,
    expiresInSeconds: Number(values.hours) * 3600,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience?.[0],
  },
  { secret: config.jwt.secret, privateKey: env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') },
);
process.stdout.write(`${token}\n`);
