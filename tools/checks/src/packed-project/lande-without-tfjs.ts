// Loading and editing lande must not load TensorFlow.js: run with `--import ./tfjs-guard.js`, which refuses any
// ESM import of it; CommonJS loads are checked at the end in the require cache.
import { strict as assert } from 'node:assert';
import { createRequire } from 'node:module';
import { createCpuBackend } from '@grace/backend-cpu';
import { GraceEditor } from '@grace/core';
import { landeEditableModel, loadLandeModel } from '@grace/models';

const editor = new GraceEditor(landeEditableModel(await loadLandeModel(), 'dense0'), {
  backend: createCpuBackend(),
  epsInit: 0.05,
});
await editor.edit({ input: 'alle mennesker er født', label: 'dan' });
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) =>
  path.includes('@tensorflow'),
);
assert.deepEqual(loaded, []);
console.log('lande: loaded and edited without TensorFlow.js');
