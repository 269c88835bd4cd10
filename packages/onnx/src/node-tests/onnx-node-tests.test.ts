import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { createTfjsBackend } from '@grace/backend-tfjs';
import { createWebGpuBackend, requestWebGpuDevice } from '@grace/backend-webgpu';
import type { GraceBackend } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkNodeTestGradients } from './check-node-test-gradients.js';
import { nodeTestReport } from './node-test-report.js';
import { passingNodeTests, refusedByBackend } from './passing-node-tests.js';
import { debianNodeTestDirectory, listNodeTests, readNodeTest } from './read-node-test.js';
import { type ImportedNodeTest, importNodeTest, type NodeTestOutcome, runNodeTest } from './run-node-test.js';

/**
 * ONNX's own operator conformance tests (the backend node tests of ONNX 1.12, from Debian's libonnx-testdata,
 * which tools/ci/install-system-packages.sh installs) through the importer and the IR on every backend:
 * each test either passes with ONNX's tolerances or is refused with a GraceError, and the passing set is
 * exactly the allow-list. Import does not depend on the backend, so it runs once; each backend then runs every
 * imported graph. Without the test data the suite is skipped with a warning, never passed silently.
 */
const available = existsSync(debianNodeTestDirectory);
const expected = new Set(Object.values(passingNodeTests).flat());

if (!available) {
  console.warn(
    `\n*** @grace/onnx: ONNX node tests SKIPPED: ${debianNodeTestDirectory} is absent (apt-get install libonnx-testdata)\n`,
  );
  describe.skip('ONNX backend node tests (libonnx-testdata is not installed)', () => {
    test('needs libonnx-testdata', () => undefined);
  });
} else {
  const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);
  let imported: ImportedNodeTest[] = [];
  beforeAll(async () => {
    const names = await listNodeTests();
    imported = [];
    for (const name of names) imported.push(await importNodeTest(await readNodeTest(name)));
  }, 300_000);

  /**
   * Runs every imported test on `backend` and checks the outcomes against the allow-list, less what the backend
   * refuses on purpose (which it must refuse).
   */
  async function checkBackend(label: string, backend: GraceBackend): Promise<NodeTestOutcome[]> {
    const outcomes: NodeTestOutcome[] = [];
    for (const entry of imported) outcomes.push(await runNodeTest(entry, backend));
    console.info(nodeTestReport(label, outcomes));
    const broken = outcomes.filter((outcome) => outcome.status === 'WRONG' || outcome.status === 'CRASH');
    expect(broken.map((outcome) => `${outcome.name} ${outcome.status}: ${outcome.detail}`)).toEqual([]);
    const refusedHere = new Set(refusedByBackend[backend.name]?.tests ?? []);
    const passed = outcomes.filter((outcome) => outcome.status === 'PASS').map((outcome) => outcome.name);
    const unexpected = passed.filter((name) => !expected.has(name) || refusedHere.has(name));
    expect(unexpected, 'passing tests missing from the allow-list').toEqual([]);
    const notPassed = outcomes.filter(
      (outcome) => expected.has(outcome.name) && !refusedHere.has(outcome.name) && outcome.status !== 'PASS',
    );
    expect(
      notPassed.map((outcome) => `${outcome.name}: ${outcome.detail}`),
      'allow-listed tests',
    ).toEqual([]);
    return outcomes;
  }

  describe('ONNX backend node tests', () => {
    test('932 tests are read and every one is imported or refused with a GraceError', () => {
      expect(imported.length).toBe(932);
      const crashed = imported.flatMap((entry) =>
        'outcome' in entry && entry.outcome.status === 'CRASH' ? [entry.outcome] : [],
      );
      expect(crashed).toEqual([]);
    });

    test('on cpu: allow-listed tests pass, all others are refused; VJPs match finite differences', async () => {
      const backend = createCpuBackend();
      await checkBackend('cpu', backend);
      const gradients = await checkNodeTestGradients(imported, backend);
      console.info(gradients.summary);
      expect(gradients.failures).toEqual([]);
    }, 600_000);

    for (const name of ['wasm', 'cpu'] as const) {
      test(`on tfjs ${name}: allow-listed tests pass, all others are refused; VJPs match`, async () => {
        await tf.setBackend(name);
        await tf.ready();
        const backend = createTfjsBackend(tf, { tfjsBackend: name });
        await checkBackend(`tfjs ${name}`, backend);
        const gradients = await checkNodeTestGradients(imported, backend);
        console.info(gradients.summary);
        expect(gradients.failures).toEqual([]);
      }, 600_000);
    }
  });

  const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);
  if (acquired instanceof Error) {
    console.warn(`\n*** @grace/onnx: NO WEBGPU ADAPTER, node tests on WebGPU SKIPPED: ${acquired.message}\n`);
    describe.skip(`ONNX backend node tests on WebGPU (skipped: ${acquired.message})`, () => {
      test('needs a WebGPU adapter', () => undefined);
    });
  } else {
    afterAll(() => acquired.device.destroy());
    describe('ONNX backend node tests on WebGPU', () => {
      test(`on ${acquired.adapterInfo.description || 'WebGPU'}: allow-listed tests pass; VJPs match`, async () => {
        const backend = await createWebGpuBackend({ device: acquired.device });
        await checkBackend('webgpu', backend);
        const gradients = await checkNodeTestGradients(imported, backend);
        console.info(gradients.summary);
        expect(gradients.failures).toEqual([]);
      }, 600_000);
    });
  }
}
