// Three tiers (STYLE.md §11), all run by `npm test`; one with `npx jest --selectProjects unit` (or medium, e2e):
// - unit: *.spec.ts beside the code: no database, no global setup, seconds;
// - medium: *.medium.spec.ts beside the repository or SQL it exercises, against a real PostgreSQL;
// - e2e: the HTTP contract on a fresh database per file (test/e2e/**/*.e2e-spec.ts).
// Medium and e2e share one server per run: DATABASE_URL when set, otherwise an embedded one (test/support/global-setup.ts).
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

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  // NestJS 12 (and a few of its dependencies) ship as ES modules only. Node runs them through
  // require(esm), but Jest's module loader supports that only on Node >= 24.9, so on Node 20/22 the
  // test run compiles those packages to CommonJS with the same swc transform (cached after a run).
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  setupFiles: ['reflect-metadata'],
};

const withDatabase = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/test'],
      testMatch: ['**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.medium\\.spec\\.ts$'],
    },
    {
      ...common,
      ...withDatabase,
      displayName: 'medium',
      roots: ['<rootDir>/src', '<rootDir>/test'],
      testMatch: ['**/*.medium.spec.ts'],
    },
    { ...common, ...withDatabase, displayName: 'e2e', roots: ['<rootDir>/test/e2e'], testMatch: ['**/*.e2e-spec.ts'] },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};
