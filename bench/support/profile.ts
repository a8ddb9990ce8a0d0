// CPU profiles (--cpu-prof on a child): the hottest functions by self time.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function area(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  const dist = url.indexOf('/dist/');
  if (dist >= 0)
    return `app ${url
      .slice(dist + 6)
      .split('/')
      .slice(0, 2)
      .join('/')}`;
  return url;
}

export function newProfileDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-prof-'));
  return dir;
}

/** Prints self time by package/area and the top functions of the .cpuprofile files in dir. */
export function summariseProfiles(dir: string, top = 25): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) {
    process.stdout.write(`no .cpuprofile written in ${dir} (the app must exit cleanly on SIGTERM)\n`);
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfUs = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i] ?? 0));
    let total = 0;
    const byArea = new Map<string, number>();
    const byFn = new Map<string, number>();
    for (const [id, us] of selfUs) {
      const node = byId.get(id);
      if (!node) continue;
      const name = node.callFrame.functionName || '(anonymous)';
      total += us;
      if (name === '(idle)') continue;
      const where = area(node.callFrame.url);
      byArea.set(where, (byArea.get(where) ?? 0) + us);
      const key = `${name}  ${where}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
      byFn.set(key, (byFn.get(key) ?? 0) + us);
    }
    const idle = [...selfUs]
      .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
      .reduce((s, [, us]) => s + us, 0);
    const busy = total - idle;
    process.stdout.write(
      `\nCPU profile ${join(dir, file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (wall-clock samples: time the thread was descheduled counts too)\n`,
    );
    const pct = (us: number): string => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
    process.stdout.write('  self time by area (share of busy main-thread time):\n');
    for (const [name, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 20))
      process.stdout.write(`    ${pct(us)}  ${name}\n`);
    process.stdout.write(`  top ${top} functions by self time:\n`);
    for (const [name, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top))
      process.stdout.write(`    ${pct(us)}  ${name}\n`);
  }
}
