// Unit specs beside the code (src/**/*.spec.ts) and e2e specs over HTTP (test/e2e/**/*.e2e-spec.ts),
// all against real PostgreSQL: DATABASE_URL when set, otherwise an embedded server (test/support/global-setup.ts).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const fs = require('node:fs');
const path = require('node:path');

/** Every installed package that declares itself an ES module ("type": "module"), found at each run. */
function esmOnlyPackages(dir = path.join(__dirname, 'node_modules'), found = new Set()) {
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      esmOnlyPackages(path.join(dir, entry), found);
      continue;
    }
    const pkgDir = path.join(dir, entry);
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
      if (pkg.type === 'module') found.add(pkg.name.replace(/[.]/g, '\\.'));
    } catch {
      // not a package
    }
    esmOnlyPackages(path.join(pkgDir, 'node_modules'), found);
  }
  return [...found];
}
const ESM_ONLY = esmOnlyPackages();

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // NestJS 12 (and a few of its dependencies) ship as ES modules only. Node runs them through
  // require(esm), but Jest's module loader supports that only on Node >= 24.9, so on Node 20/22 the
  // test run compiles those packages to CommonJS with the same swc transform (cached after a run).
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
