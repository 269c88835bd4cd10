import { Codebook, SeededRandom } from '@grace/core';
import type * as ort from 'onnxruntime-node';
import { decoderFeeds } from './decoder-feeds.js';
import type { OnnxDecoder } from './load-onnx-decoder.js';

/**
 * The edited layer's input at the last token of `prompt` run alone: the query GRACE compares with the keys at
 * prefill (with the default key token), i.e. the key an edit of that prompt would add.
 */
export async function promptQuery(decoder: OnnxDecoder, prompt: readonly number[]): Promise<Float32Array> {
  const feeds = decoderFeeds(decoder.inputs, decoder.cache, {
    tokens: [prompt],
    attentionMask: [prompt.map(() => 1)],
    positions: [prompt.map((_, index) => index)],
    pastLength: 0,
  });
  const session = decoder.prefixSession;
  const outputs = await session.run(
    Object.fromEntries(session.inputNames.map((name) => [name, feeds[name] as ort.Tensor])),
  );
  const layerInput = (outputs[decoder.cut.editPoint.input] as ort.Tensor).data as Float32Array;
  const width = decoder.keyDimension;
  return layerInput.slice((prompt.length - 1) * width, prompt.length * width);
}

/**
 * A codebook for `decoder`'s layer put together directly, without training: one key per entry of `firing`
 * (a query and the value it gets, radius `epsInit`), then `farKeys` random keys far from every prompt's query
 * (norm about 10·√Dk, each with a random value and its own label, so every one is an ADD).
 */
export function directCodebook(
  decoder: OnnxDecoder,
  options: {
    readonly firing: readonly { readonly query: Float32Array; readonly value: Float32Array }[];
    readonly farKeys: number;
    readonly epsInit?: number;
    readonly seed?: number;
  },
): Codebook {
  const codebook = new Codebook({
    keyDimension: decoder.keyDimension,
    valueDimension: decoder.valueDimension,
    layerId: `onnx:${decoder.cut.editPoint.name}`,
    epsInit: options.epsInit ?? 1,
  });
  options.firing.forEach(({ query, value }, index) => {
    codebook.applyEdit({ query, label: [index] }, { value });
  });
  const random = new SeededRandom(options.seed ?? 5);
  for (let index = 0; index < options.farKeys; index++) {
    const query = random.normals(decoder.keyDimension).map((entry) => entry * 10);
    const value = random.normals(decoder.valueDimension);
    codebook.applyEdit({ query, label: [options.firing.length + index] }, { value });
  }
  return codebook;
}
