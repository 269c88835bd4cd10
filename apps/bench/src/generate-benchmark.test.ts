import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, type MockInstance, vi } from 'vitest';
import { runBenchCli } from './bench-cli.js';

let stdout: MockInstance;
afterEach(() => vi.restoreAllMocks());

it('runs generate end to end: the table within 120 columns, the target per mode, the cache ratio, the JSON', async () => {
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const folder = await mkdtemp(join(tmpdir(), 'grace-bench-'));
  try {
    const out = join(folder, 'generate.json');
    expect(await runBenchCli(['generate', '--quick', '--tokens', '4', '--runs', '1', '--out', out])).toBe(0);
    const printed = stdout.mock.calls.map(([text]) => String(text)).join('');
    const lines = printed.split('\n').filter((line) => !line.startsWith('wrote '));
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(120);
    for (const mode of ['all', 'last', 'span']) {
      expect(printed).toMatch(
        new RegExp(
          `target GRACE generation overhead ≤ \\+10\\.0% at 1,000 keys with the cache, mode ${mode}: (met|MISSED)`,
        ),
      );
    }
    expect(printed).toMatch(/cache vs no cache, GRACE \(1,000 keys\): \d+\.\d\d× the tokens\/s/);
    const report = JSON.parse(await readFile(out, 'utf8'));
    const paths = report.rows.map((row: { path: string; keys: number; cache: boolean }) => [
      row.path,
      row.keys,
      row.cache,
    ]);
    expect(paths).toContainEqual(['GRACE', 1000, false]);
    expect(paths).toContainEqual(['plain', 0, true]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
