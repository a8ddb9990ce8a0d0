// Every benchmark's exit path: children stopped and the database dropped on success, failure and Ctrl+C.
type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      if (!fn) continue;
      await fn().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up…\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs a benchmark's main, always cleans up, and exits 0 only when it returned true. */
export function runBench(main: () => Promise<boolean>): void {
  main()
    .then(
      async (ok) => {
        await cleanup();
        process.exit(ok ? 0 : 1);
      },
      async (err: unknown) => {
        process.stderr.write(
          `\nbenchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
        );
        await cleanup();
        process.exit(2);
      },
    )
    .catch(() => process.exit(2));
}
