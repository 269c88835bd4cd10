/**
 * A one-line progress display for long runs: redrawn in place on a terminal, and reduced to one line per
 * stage when the output is a file or a CI log (where carriage returns would pile up).
 */
export function createProgressDisplay(stream: NodeJS.WriteStream = process.stderr): {
  update(stage: string, done: number, total: number): void;
  finish(): void;
} {
  let lastStage = '';
  let drawn = false;
  return {
    update(stage, done, total) {
      if (stream.isTTY) {
        const width = 24;
        const filled = Math.round((done / Math.max(1, total)) * width);
        stream.write(
          `\r${stage.padEnd(20)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}   `,
        );
        drawn = true;
      } else if (stage !== lastStage) {
        stream.write(`${stage} (${total} steps)...\n`);
      }
      lastStage = stage;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
