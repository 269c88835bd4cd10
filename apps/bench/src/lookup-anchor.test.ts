import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupAnchorScripts, startLookupAnchor } from './lookup-anchor.js';
import { type LookupBenchmarkConfig, runLookupBenchmark } from './lookup-benchmark.js';
import { startLookupAnchors } from './lookup-command.js';
import { KernelMismatchError } from './lookup-verification.js';
import { anchorPython } from './torch-anchor.js';

const tinyConfig: LookupBenchmarkConfig = { keyCounts: [40], dims: [8], batch: 6, runs: 2, seed: 5 };

/**
 * A stand-in for a Python with an anchor library: a Node script that speaks the anchors' line protocol. It
 * reads the benchmark's cell from the data file and answers by brute force (`exact`), answers the next key
 * instead (`wrong`), or fails to import its library as a Python without faiss does (`missing`). So the
 * protocol client and the benchmark's checks are tested without Python.
 */
async function writeFakePython(folder: string, mode: 'exact' | 'wrong' | 'missing'): Promise<string> {
  const path = join(folder, `python-${mode}`);
  const source = `#!/usr/bin/env node
const { readFileSync } = require('node:fs');
const library = require('node:path').basename(process.argv[2]).split('-')[0];
if (${JSON.stringify(mode)} === 'missing') {
  process.stderr.write("Traceback (most recent call last):\\nModuleNotFoundError: No module named '" + library + "'\\n");
  process.exit(1);
}
let cell;
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  let reply;
  if (request.cell !== undefined) {
    const [batch, keyCount, dims] = request.cell;
    const values = request.data === undefined
      ? new Float32Array((batch + keyCount) * dims)
      : new Float32Array(Uint8Array.from(readFileSync(request.data)).buffer);
    cell = { batch, keyCount, dims, values };
    reply = { ready: true, device: 'cpu', library, version: 'fake-1', threads: 1 };
  } else if (request.time !== undefined) {
    reply = { ms: 2.5 };
  } else if (request.answer !== undefined) {
    const { batch, keyCount, dims, values } = cell;
    const index = [];
    const distance = [];
    for (let row = 0; row < batch; row++) {
      let best = -1;
      let bestSquared = Infinity;
      for (let key = 0; key < keyCount; key++) {
        let squared = 0;
        for (let d = 0; d < dims; d++) {
          const difference = values[row * dims + d] - values[(batch + key) * dims + d];
          squared += difference * difference;
        }
        if (squared < bestSquared) { bestSquared = squared; best = key; }
      }
      const answered = ${JSON.stringify(mode)} === 'wrong' ? (best + 1) % keyCount : best;
      index.push(answered);
      distance.push(Math.sqrt(bestSquared));
    }
    reply = { index, distance };
  } else {
    reply = { error: 'unknown request' };
  }
  process.stdout.write(JSON.stringify(reply) + '\\n');
});
`;
  await writeFile(path, source, { mode: 0o755 });
  return path;
}

describe('the lookup anchors, through a stand-in Python', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'grace-fake-python-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('is skipped with a reason when the Python does not exist', async () => {
    for (const library of ['torch', 'faiss'] as const) {
      const outcome = await startLookupAnchor('/no/such/python', 'cpu', library);
      expect(outcome.available).toBe(false);
      if (!outcome.available) expect(outcome.reason).toMatch(/ENOENT|no\/such/);
    }
  });

  it('runs one script per library, each in tools/anchors', () => {
    expect(lookupAnchorScripts.torch).toMatch(/tools\/anchors\/torch-lookup-anchor\.py$/);
    expect(lookupAnchorScripts.faiss).toMatch(/tools\/anchors\/faiss-lookup-anchor\.py$/);
    for (const script of Object.values(lookupAnchorScripts)) expect(existsSync(script)).toBe(true);
  });

  it('says in a note which anchor was skipped and why, and times the ones that run', async () => {
    const missing = await writeFakePython(folder, 'missing');
    const skipped = await startLookupAnchors(missing, ['torch', 'faiss']);
    expect(skipped.anchors).toEqual([]);
    expect(skipped.notes).toEqual([
      expect.stringMatching(
        /^anchor torch: skipped, No module named 'torch' \(.*python-missing\); give a Python with torch: --python PATH$/,
      ),
      expect.stringMatching(
        /^anchor faiss: skipped, No module named 'faiss' \(.*\); give a Python with faiss-cpu: --python PATH$/,
      ),
    ]);
    const exact = await writeFakePython(folder, 'exact');
    const started = await startLookupAnchors(exact, ['faiss']);
    try {
      expect(started.anchors.map((anchor) => [anchor.library, anchor.version])).toEqual([
        ['faiss', 'fake-1'],
      ]);
      expect(started.notes).toEqual([
        expect.stringMatching(/^anchor faiss fake-1: one-thread faiss IndexFlatL2/),
      ]);
    } finally {
      for (const anchor of started.anchors) anchor.close();
    }
    expect((await startLookupAnchors(exact, [])).notes).toEqual(['anchors: skipped (--no-anchor)']);
  });

  it("hands each anchor the benchmark's own cell and times it beside the backends", async () => {
    const python = await writeFakePython(folder, 'exact');
    const outcomes = await Promise.all([
      startLookupAnchor(python, 'cpu', 'torch'),
      startLookupAnchor(python, 'cpu', 'faiss'),
    ]);
    const anchors = outcomes.flatMap((outcome) => (outcome.available ? [outcome.anchor] : []));
    expect(anchors).toHaveLength(2);
    try {
      const result = await runLookupBenchmark([{ name: 'cpu', backend: createCpuBackend() }], tinyConfig, {
        anchors,
      });
      const [row] = result.rows;
      expect(row.anchors?.map((anchor) => anchor.library)).toEqual(['torch', 'faiss']);
      for (const anchor of row.anchors ?? []) {
        expect(anchor.timing).toMatchObject({ medianMs: 2.5, runs: 2 });
        expect(anchor.throughput).toBeCloseTo((6 * 40 * 8) / 2.5e-3);
        expect(anchor.ratio.nearestKey).toBeCloseTo(2.5 / row.nearestKey.medianMs);
        expect(anchor.ratio.lookup).toBeCloseTo(2.5 / row.lookup.medianMs);
      }
    } finally {
      for (const anchor of anchors) anchor.close();
    }
  });

  it('stops the benchmark when an anchor answers a key that is not the nearest', async () => {
    const outcome = await startLookupAnchor(await writeFakePython(folder, 'wrong'), 'cpu', 'faiss');
    if (!outcome.available) throw new Error(outcome.reason);
    try {
      const run = runLookupBenchmark([{ name: 'cpu', backend: createCpuBackend() }], tinyConfig, {
        anchors: [outcome.anchor],
      });
      await expect(run).rejects.toThrow(KernelMismatchError);
      await expect(run).rejects.toThrow(/faiss anchor nearestKey disagrees/);
    } finally {
      outcome.anchor.close();
    }
  });

  it('takes --python first, then GRACE_ANCHOR_PYTHON, then python3', () => {
    expect(anchorPython('/opt/python')).toBe('/opt/python');
    const saved = process.env.GRACE_ANCHOR_PYTHON;
    try {
      process.env.GRACE_ANCHOR_PYTHON = '/env/python';
      expect(anchorPython(undefined)).toBe('/env/python');
      delete process.env.GRACE_ANCHOR_PYTHON;
      expect(anchorPython(undefined)).toBe('python3');
    } finally {
      if (saved !== undefined) process.env.GRACE_ANCHOR_PYTHON = saved;
    }
  });
});

/** The anchors' own Python, where this machine has one (CI has none: the real anchors are skipped there). */
const venvPython = process.env.GRACE_ANCHOR_PYTHON ?? '/work/venv/bin/python';
const venvMissing = existsSync(venvPython) ? null : `no ${venvPython} with torch and faiss-cpu`;

describe.skipIf(venvMissing !== null)(
  `the real PyTorch and faiss anchors${venvMissing === null ? '' : ` (skipped: ${venvMissing})`}`,
  () => {
    it('search the benchmark cell on one thread and agree with the float64 brute force', async () => {
      const anchors = [];
      for (const library of ['torch', 'faiss'] as const) {
        const outcome = await startLookupAnchor(venvPython, 'cpu', library);
        if (!outcome.available) throw new Error(outcome.reason);
        anchors.push(outcome.anchor);
      }
      try {
        const config = { keyCounts: [2_000], dims: [64], batch: 32, runs: 2, seed: 9 };
        const result = await runLookupBenchmark([{ name: 'cpu', backend: createCpuBackend() }], config, {
          anchors,
        });
        for (const anchor of result.rows[0].anchors ?? []) expect(anchor.timing.medianMs).toBeGreaterThan(0);
        expect(anchors.map((anchor) => anchor.version)).toEqual([
          expect.stringMatching(/^\d+\.\d+/),
          expect.stringMatching(/^\d+\.\d+/),
        ]);
      } finally {
        for (const anchor of anchors) anchor.close();
      }
    });
  },
);
