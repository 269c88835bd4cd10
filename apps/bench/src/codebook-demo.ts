import { Codebook, type EditLabel, type GraceBackend, GraceLayer } from '@grace/core';

/**
 * The paper's section 2.2 story on hand-made 2-D keys, run through a real GraceLayer: each kind of codebook
 * update, what inference then does with nearby and far queries, and an exact rollback. It is the main job
 * until value training lands; it prints what happens so a newcomer can follow GRACE's rules.
 */
export async function runCodebookDemo(backend: GraceBackend, print: (line: string) => void): Promise<void> {
  const codebook = new Codebook({ keyDimension: 2, valueDimension: 2, epsInit: 1.0, layerId: 'demo' });
  const layer = new GraceLayer(backend, codebook);
  const frozenOutput = [0, 0];

  const route = async (query: readonly number[]): Promise<string> => {
    const input = backend.upload(Float32Array.from(query), [1, 2]);
    const output = backend.upload(Float32Array.from(frozenOutput), [1, 2]);
    const result = layer.forward({ layerInput: input, layerOutput: output });
    const [hit] = await backend.download(result.hitIndex);
    const replaced = await backend.download(result.output);
    for (const tensor of [input, output, result.output, result.hitIndex]) backend.dispose(tensor);
    return hit === -1
      ? 'deferred to the frozen layer'
      : `key ${hit} fired → output [${Array.from(replaced).join(', ')}]`;
  };

  const edit = (query: number[], label: EditLabel, value: number[]): string => {
    const record = codebook.applyEdit({ query, label }, { value });
    const radii = Array.from(codebook.radiiView(), (radius) => radius.toFixed(5)).join(', ');
    return `${record.id}: query [${query}] label ${JSON.stringify(label)} → ${record.operation.padEnd(7)} keys ${codebook.size}, radii [${radii}]`;
  };

  print(`GRACE codebook demo on the ${backend.name} backend (eps_init = 1.0, keys in 2-D)`);
  print(edit([0, 0], 'cat', [1, 0]));
  print(edit([4, 0], 'dog', [0, 1]));
  print(edit([1.5, 0], 'cat', [1, 0]));
  print(edit([4.2, 0.1], 'dog', [0, 1]));
  print(edit([1.9, 0], 'dog', [0, 1]));
  const predictAll = async (): Promise<void> => {
    for (const query of [
      [0.2, 0.1],
      [1.2, 0],
      [3.9, 0.2],
      [0, 5],
    ]) {
      print(`  predict [${query}]: ${await route(query)}`);
    }
  };
  await predictAll();
  const removed = codebook.rollback('edit-5');
  const radii = Array.from(codebook.radiiView()).join(', ');
  print(`rolled back ${removed.id} (${removed.operation}): keys ${codebook.size}, radii [${radii}]`);
  await predictAll();
  layer.dispose();
}
