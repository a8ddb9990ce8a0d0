// Prints a signed development token: npm run token -- --role ADMIN --sub-accounts 1,2 [--sub alice] [--hours 12] (--help)
import { parseTokenArgs, signToken, TOKEN_USAGE } from '../src/common/auth/dev-token';
import { loadAppConfig, readEnvironment } from '../src/config/load-app-config';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write(TOKEN_USAGE); // before the configuration: nothing is read or created under DATA_DIR
  process.exit(0);
}
const env = readEnvironment();
const config = loadAppConfig(env);
const args = parseTokenArgs(argv, config.jwt.maxAgeSeconds);
if (args.kind === 'help') {
  process.stdout.write(TOKEN_USAGE);
  process.exit(0);
}
if (args.kind === 'error') {
  process.stderr.write(`${args.message}\n`);
  process.exit(2);
}
const token = signToken(
  {
    role: args.role,
    subAccountIds: args.subAccountIds,
    sub: args.sub,
    expiresInSeconds: args.expiresInSeconds,
    issuer: config.jwt.issuer,
    audience: config.jwt.audience?.[0],
  },
  { secret: config.jwt.secret, privateKey: env.JWT_PRIVATE_KEY?.replace(/\\n/g, '\n') },
);
process.stdout.write(`${token}\n`);
