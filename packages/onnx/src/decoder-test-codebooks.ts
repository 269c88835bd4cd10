import { Codebook, SeededRandom } from '@grace/core';
import type { OnnxDecoder } from './load-onnx-decoder.js';

/**
 * A codebook for `decoder`'s layer put together directly, without training: one key per entry of `firing`
 * (a query and the value it gets, radius `epsInit`), then `farKeys` random keys far from every prompt's query
 * (norm about 10·√Dk, each with a random value and its own label, so every one is an ADD). Values are
 * `spanLength` vectors of the layer's width (a `span` layer's), one by default.
 */
export function directCodebook(
  decoder: OnnxDecoder,
  options: {
    readonly firing: readonly { readonly query: Float32Array; readonly value: Float32Array }[];
    readonly farKeys: number;
    readonly epsInit?: number;
    readonly seed?: number;
    readonly spanLength?: number;
  },
): Codebook {
  const valueDimension = decoder.valueDimension * (options.spanLength ?? 1);
  const codebook = new Codebook({
    keyDimension: decoder.keyDimension,
    valueDimension,
    layerId: `onnx:${decoder.cut.editPoint.name}`,
    epsInit: options.epsInit ?? 1,
  });
  options.firing.forEach(({ query, value }, index) => {
    codebook.applyEdit({ query, label: [index] }, { value });
  });
  const random = new SeededRandom(options.seed ?? 5);
  for (let index = 0; index < options.farKeys; index++) {
    const query = random.normals(decoder.keyDimension).map((entry) => entry * 10);
    const value = random.normals(valueDimension);
    codebook.applyEdit({ query, label: [options.firing.length + index] }, { value });
  }
  return codebook;
}
