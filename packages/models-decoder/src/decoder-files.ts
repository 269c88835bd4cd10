import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The folder of the shipped model files: `decoder.onnx`, `decoder-with-past.onnx`, `vocabulary.json`,
 * `facts.json`, `held-out-speeches.json` and `manifest.json` (how the decoder was trained and what it measured).
 */
export function decoderModelDirectory(): string {
  return fileURLToPath(new URL('../model/', import.meta.url));
}

/**
 * Paths of the two ONNX exports of the same weights (opset 18, the standard dynamo exporter, weights inside):
 * - `decoder`: input_ids, attention_mask, position_ids `[B, T]` (int64) → logits `[B, T, V]`;
 * - `decoderWithPast`: the same with attention_mask `[B, P + T]`, plus `past_key_values.{i}.key` and `.value`
 *   `[B, H, P, D/H]` per layer `i` → logits and `present.{i}.key`/`.value` `[B, H, P + T, D/H]`. P may be 0
 *   (the prefill: feed empty `[B, H, 0, D/H]` tensors).
 */
export function decoderModelFiles(): { readonly decoder: string; readonly decoderWithPast: string } {
  const directory = decoderModelDirectory();
  return { decoder: `${directory}decoder.onnx`, decoderWithPast: `${directory}decoder-with-past.onnx` };
}

/** Reads one of the model folder's JSON files. */
export async function readDecoderJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(`${decoderModelDirectory()}${name}`, 'utf8')) as T;
}
