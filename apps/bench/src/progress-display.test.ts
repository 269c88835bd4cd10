import { describe, expect, it } from 'vitest';
import { createProgressDisplay, formatDuration } from './progress-display.js';

describe('createProgressDisplay', () => {
  it('logs a stage once, then a line with an ETA every interval when the output is not a terminal', () => {
    const lines: string[] = [];
    let time = 0;
    const display = createProgressDisplay(
      { isTTY: false, write: (text) => lines.push(text) },
      { logIntervalMs: 10_000, now: () => time },
    );
    display.update('N 100000 D 768', 0, 12);
    time = 5_000;
    display.update('N 100000 D 768', 1, 12);
    time = 20_000;
    display.update('N 100000 D 768', 4, 12);
    time = 21_000;
    display.update('N 100000 D 768', 5, 12);
    expect(lines).toEqual(['N 100000 D 768 (12 steps)...\n', 'N 100000 D 768: 4/12 after 20 s, ETA 40 s\n']);
  });

  it('redraws one line with the ETA on a terminal', () => {
    const written: string[] = [];
    let time = 0;
    const display = createProgressDisplay(
      { isTTY: true, write: (text) => written.push(text) },
      { now: () => time },
    );
    display.update('edits', 0, 4);
    time = 3_000;
    display.update('edits', 1, 4);
    display.finish();
    expect(written[1]).toMatch(/^\redits\s+\[######\.+\] 1\/4, ETA 9 s/);
    expect(written.at(-1)).toBe('\n');
  });
});

describe('formatDuration', () => {
  it.each([
    [400, '0 s'],
    [42_000, '42 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('%d ms is %s', (milliseconds, text) => {
    expect(formatDuration(milliseconds)).toBe(text);
  });
});
