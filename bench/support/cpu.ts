// /proc sampling: resident memory and CPU seconds of the app, its PostgreSQL backends and the runner.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

/** Resident set size now and its peak (VmHWM), in MiB; null once the process is gone. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far; null once it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime field 15
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/**
 * CPU seconds used between start() and stop() by named groups of processes (the app, the baseline,
 * PostgreSQL backends serving each), polled so that short-lived backends are counted too.
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly groupOf = new Map<number, string>();
  private timer?: NodeJS.Timeout;
  private started = 0;
  private ownStart = process.cpuUsage();
  private ownSeconds = 0;
  wallSeconds = 0;

  constructor(private readonly groups: () => Promise<Array<{ pid: number; group: string }>>) {}

  async start(intervalMs = 500): Promise<void> {
    this.first.clear();
    this.last.clear();
    this.started = Date.now();
    this.ownStart = process.cpuUsage();
    await this.poll(true);
    this.timer = setInterval(() => void this.poll(false), intervalMs);
  }

  async stop(): Promise<Map<string, number>> {
    if (this.timer) clearInterval(this.timer);
    await this.poll(false);
    await this.polling;
    const own = process.cpuUsage(this.ownStart);
    this.ownSeconds = (own.user + own.system) / 1e6;
    this.wallSeconds = (Date.now() - this.started) / 1000;
    const totals = new Map<string, number>();
    for (const [pid, end] of this.last) {
      const group = this.groupOf.get(pid) ?? '?';
      totals.set(group, (totals.get(group) ?? 0) + end - (this.first.get(pid) ?? 0));
    }
    totals.set('bench runner (load generator)', this.ownSeconds);
    return totals;
  }

  private polling: Promise<void> = Promise.resolve();

  /** One poll at a time (the groups callback may share a database connection). */
  private poll(initial: boolean): Promise<void> {
    this.polling = this.polling.then(() => this.pollOnce(initial));
    return this.polling;
  }

  private async pollOnce(initial: boolean): Promise<void> {
    let members: Array<{ pid: number; group: string }>;
    try {
      members = await this.groups();
    } catch {
      return;
    }
    for (const { pid, group } of members) {
      const cpu = cpuSecondsOf(pid);
      if (cpu === null) continue;
      this.groupOf.set(pid, group);
      // a backend first seen after start() began after it (or was idle): count from its birth
      if (!this.first.has(pid)) this.first.set(pid, initial ? cpu : (this.startCpuGuess(pid) ?? cpu));
      this.last.set(pid, cpu);
    }
  }

  /** CPU since start() of a process first seen mid-run: all of it if it was born after start(). */
  private startCpuGuess(pid: number): number | null {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const startTicks = Number(fields[19]); // field 22: starttime, in ticks after boot
      const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const bornSecondsAgo = uptime - startTicks / CLK_TCK;
      return bornSecondsAgo * 1000 <= Date.now() - this.started ? 0 : null;
    } catch {
      return null;
    }
  }
}

export function machineLine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `node ${process.version}, load average ${load}`;
}
