/**
 * Routing truth, measured (the decision it informs: whether an edit's key really fires for the edit's own
 * input on every backend, and whether "fixed" tells the truth). Two figures:
 * 1. ADD + EXPAND pairs at D = 768 and D = 2: a key is added at a random query, a second query just outside
 *    its ball (same label) expands it to exactly its distance; how many of the expanding queries fire the key
 *    through each backend's `lookup`;
 * 2. the lande stream (UDHR 3-word snippets the model gets wrong, GRACE at dense1, ε_init 0.25): how many
 *    edits the editor reports fixed, and how many the edited model really predicts right just after the edit
 *    (its predict path, lookup included).
 *
 * Run: `node apps/bench/dist/routing-truth-check.js [pairs=200] [edits=300]` after `pnpm build`.
 */
import { Codebook, type GraceBackend, GraceEditor, GraceLayer, SeededRandom } from '@grace/core';
import { landeEditableModel, loadLandeModel, loadUdhrSnippets, splitSnippetsByArticle } from '@grace/models';
import { createBenchmarkBackends } from './backends.js';

/** How many expanding queries of `pairs` ADD + EXPAND pairs fire their key on `backend`. */
async function expandedPairsFiring(backend: GraceBackend, width: number, pairs: number): Promise<number> {
  const random = new SeededRandom(width);
  let firing = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const codebook = new Codebook({ keyDimension: width, valueDimension: 1, epsInit: 1 });
    const added = random.normals(width);
    const step = random.normals(width);
    const length = Math.hypot(...step);
    const reach = random.uniform(1.05, 1.95) / length;
    const expanding = added.map((value, column) => value + (step[column] as number) * reach);
    codebook.applyEdit({ query: added, label: 0 }, { value: [1] });
    const record = codebook.applyEdit({ query: expanding, label: 0 }, { value: [1] });
    if (record.operation !== 'EXPAND') throw new Error(`pair ${pair} was a ${record.operation}`);
    const layer = new GraceLayer(backend, codebook);
    const queries = backend.upload(expanding, [1, width]);
    const frozen = backend.upload(new Float32Array(1), [1, 1]);
    const result = layer.forward({ layerInput: queries, layerOutput: frozen });
    const [hit] = await backend.download(result.hitIndex);
    if (hit === 0) firing++;
    for (const tensor of [queries, frozen, result.output, result.hitIndex]) backend.dispose(tensor);
    layer.dispose();
  }
  return firing;
}

/** Edits reported fixed and really fixed over the first `edits` mistakes of the lande stream. */
async function landeStream(backend: GraceBackend, edits: number) {
  const lande = await loadLandeModel();
  const snippets = await loadUdhrSnippets({ words: 3 });
  const split = splitSnippetsByArticle(snippets, 1);
  const model = landeEditableModel(lande, 'dense1');
  const editor = new GraceEditor(model, { backend, epsInit: 0.25 });
  const texts = split.stream.map((snippet) => snippet.text);
  const predictions = await editor.predict(texts);
  const stream = split.stream
    .filter((snippet, index) => predictions[index] !== snippet.language)
    .slice(0, edits);
  let reported = 0;
  let really = 0;
  for (const snippet of stream) {
    const result = await editor.edit({ input: snippet.text, label: snippet.language });
    const [predicted] = await editor.predict([snippet.text]);
    if (result.fixed) reported++;
    if (predicted === snippet.language) really++;
  }
  const keys = editor.codebook.size;
  editor.dispose();
  return { edits: stream.length, reported, really, keys };
}

const pairs = Number(process.argv[2] ?? 200);
const edits = Number(process.argv[3] ?? 300);
const backends = await createBenchmarkBackends(['cpu', 'tfjs-wasm', 'tfjs-cpu', 'webgpu']);
for (const width of [768, 2]) {
  for (const { name, backend } of backends) {
    const firing = await expandedPairsFiring(backend, width, pairs);
    console.log(`D=${width} ${name}: ${firing} of ${pairs} expanding queries fire their key`);
  }
}
const cpu = backends[0]?.backend as GraceBackend;
const lande = await landeStream(cpu, edits);
console.log(
  `lande dense1 eps 0.25, ${lande.edits} edits on cpu: reported fixed ${lande.reported}, really fixed ${lande.really}, keys ${lande.keys}`,
);
for (const { backend } of backends) backend.destroy?.();
