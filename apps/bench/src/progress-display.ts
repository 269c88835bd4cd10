/** What a progress display needs of a stream: where to write, and whether it is a terminal. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress display for long runs, with an estimate of the time left in the stage (linear in the
 * steps done so far). On a terminal it is redrawn in place; in a file or a CI log (where carriage returns
 * would pile up) it writes one line when a stage starts and then one every `logIntervalMs`, so a long cell
 * never runs silently.
 */
export function createProgressDisplay(
  stream: ProgressStream = process.stderr,
  options: { readonly logIntervalMs?: number; readonly now?: () => number } = {},
): {
  update(stage: string, done: number, total: number): void;
  finish(): void;
} {
  const now = options.now ?? (() => performance.now());
  const logInterval = options.logIntervalMs ?? 10_000;
  let lastStage = '';
  let stageStarted = 0;
  let lastLogged = 0;
  let drawn = false;
  return {
    update(stage, done, total) {
      const time = now();
      if (stage !== lastStage) {
        stageStarted = time;
        lastLogged = Number.NEGATIVE_INFINITY;
      }
      lastStage = stage;
      const elapsed = time - stageStarted;
      const eta =
        done > 0 && done < total ? `, ETA ${formatDuration(((total - done) * elapsed) / done)}` : '';
      if (stream.isTTY) {
        const width = 24;
        const filled = Math.round((Math.min(done, total) / Math.max(1, total)) * width);
        stream.write(
          `\r${stage.padEnd(20)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${eta}   `,
        );
        drawn = true;
      } else if (time - lastLogged >= logInterval) {
        stream.write(
          done === 0 || lastLogged === Number.NEGATIVE_INFINITY
            ? `${stage} (${total} steps)...\n`
            : `${stage}: ${done}/${total} after ${formatDuration(elapsed)}${eta}\n`,
        );
        lastLogged = time;
      }
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** `42 s`, `3 min 05 s`, `1 h 02 min`: a duration in milliseconds, rounded for people. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}
