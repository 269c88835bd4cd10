// Runs in a fresh project where the packed packages were installed (npm or pnpm), outside the workspace.
import { strict as assert } from 'node:assert';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@grace/backend-cpu';
import { createTfjsBackend } from '@grace/backend-tfjs';
import { createWebGpuBackend } from '@grace/backend-webgpu';
import { Codebook, GraceEditor, GraceError } from '@grace/core';
import { loadCodebook, saveCodebook } from '@grace/core/node';
import { conformanceCases } from '@grace/core/testing';
import { conformanceCases as conformanceCasesAgain } from '@grace/core/testing/cases';
import type { RunBackendConformanceOptions } from '@grace/core/testing/vitest';
import { landeEditableModel, loadLandeModel } from '@grace/models';
import { decoderModelFiles, loadCountryFacts, readDecoderJson, WordTokenizer } from '@grace/models-decoder';
import { loadUseLiteModel, UseTokenizer } from '@grace/models-use';
import { listEditPoints, loadOnnxModel } from '@grace/onnx';
import { createOnnxruntimeDotProducts } from '@grace/search-onnxruntime';

for (const entry of [createTfjsBackend, createWebGpuBackend, listEditPoints, loadOnnxModel, UseTokenizer]) {
  assert.equal(typeof entry, 'function');
}
assert.equal(conformanceCases, conformanceCasesAgain);

// @grace/core/testing runs without vitest; only its vitest runner needs it, and vitest is not installed here.
const runnerOptions: RunBackendConformanceOptions = { tolerance: 1e-4 };
const vitest = 'vitest'; // a variable, so that TypeScript does not look for the module
await assert.rejects(import(vitest));
await assert.rejects(import('@grace/core/testing/vitest'));
const cases = conformanceCases(runnerOptions).filter((testCase) => testCase.suite === 'grace scenarios');
assert.ok(cases.length > 0);
for (const testCase of cases) await testCase.run(createCpuBackend());

// lande, edited and saved.
const backend = createCpuBackend();
const lande = await loadLandeModel();
const editor = new GraceEditor(landeEditableModel(lande, 'dense1'), { backend, epsInit: 0.25 });
const result = await editor.edit({ input: 'kaikki ihmiset syntyvät', label: 'fin' });
assert.equal(result.fixed, true);
assert.deepEqual(await editor.predict(['kaikki ihmiset syntyvät']), ['fin']);
const path = join(await mkdtemp(join(tmpdir(), 'grace-smoke-')), 'lande.grace');
await saveCodebook(editor.codebook, path);
assert.ok((await loadCodebook(path)) instanceof Codebook);
assert.throws(() => editor.rollback('no-such-edit'), GraceError);

// The exact search on onnxruntime's matrix product, from the installed package: keys 1 and 2 tie, 1 wins.
const searching = createCpuBackend({
  dotProducts: createOnnxruntimeDotProducts(),
  dotProductMinimumPairs: 0,
});
const nearest = searching.nearestKey(
  searching.upload(new Float32Array([3, 3.9]), [1, 2]),
  searching.upload(new Float32Array([0, 0, 3, 4, 3, 4]), [3, 2]),
);
assert.deepEqual([...((await searching.download(nearest.index)) as Int32Array)], [1]);

// USE-lite on tfjs wasm, with its own tokenizer, from the installed packages.
const encoder = await loadUseLiteModel();
assert.ok(encoder.tokenize('Congratulations, you won').length > 2);
assert.equal((await encoder.embed(['Congratulations, you won'])).length, 512);
// The decoder's files and tokenizer, from the installed package: a fact prompt tokenizes without unknown words.
const decoderTokenizer = new WordTokenizer(await readDecoderJson<string[]>('vocabulary.json'));
const [fact] = (await loadCountryFacts()).facts;
assert.ok(fact !== undefined && !decoderTokenizer.encode(fact.prompt).includes(decoderTokenizer.unknown));
assert.equal(typeof decoderModelFiles().decoderWithPast, 'string');

console.log(
  'smoke: every entry point imported; conformance, lande, codebook file, USE-lite and the decoder ran',
);
