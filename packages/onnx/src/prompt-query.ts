import type * as ort from 'onnxruntime-node';
import { decoderFeeds, feedsFor } from './decoder-feeds.js';
import type { OnnxDecoder } from './load-onnx-decoder.js';

/**
 * The edited layer's input `[Dk]` at the last token of `prompt` (token ids) run alone: the query GRACE compares
 * with the keys at prefill under the default key token, i.e. the key an edit of that prompt adds. For inspecting
 * which key a prompt would fire, and for planting keys in a codebook by hand (tests, benchmarks).
 */
export async function promptQuery(decoder: OnnxDecoder, prompt: readonly number[]): Promise<Float32Array> {
  const feeds = decoderFeeds(decoder.inputs, decoder.cache, {
    tokens: [prompt],
    attentionMask: [prompt.map(() => 1)],
    positions: [prompt.map((_, index) => index)],
    pastLength: 0,
  });
  const session = decoder.prefixSession;
  const outputs = await session.run(feedsFor(session, feeds));
  const layerInput = (outputs[decoder.cut.editPoint.input] as ort.Tensor).data as Float32Array;
  const width = decoder.keyDimension;
  return layerInput.slice((prompt.length - 1) * width, prompt.length * width);
}
