import * as ort from 'onnxruntime-node';
import type { DecoderCacheEntry } from './load-onnx-decoder.js';

/** An integer input of a decoder and its element type. */
export interface DecoderIntegerInput {
  readonly name: string;
  readonly type: 'int64' | 'int32';
}

/** The roles of a decoder's inputs besides its cache. */
export interface DecoderInputs {
  readonly inputIds: DecoderIntegerInput;
  readonly attentionMask: DecoderIntegerInput;
  /** Absent when the model computes positions itself (then prompts of one batch must have the same length). */
  readonly positionIds?: DecoderIntegerInput;
}

/** One run of a decoder, as plain numbers: `S` new tokens per row on a cache of `pastLength` positions. */
export interface DecoderRun {
  /** `[B][S]` token ids. */
  readonly tokens: readonly (readonly number[])[];
  /** `[B][pastLength + S]`: 1 for a real token, 0 for padding. */
  readonly attentionMask: readonly (readonly number[])[];
  /** `[B][S]` position ids of the new tokens. */
  readonly positions: readonly (readonly number[])[];
  readonly pastLength: number;
  /** The cache by past input name; an empty cache (`pastLength` 0) when absent. */
  readonly past?: ReadonlyMap<string, ort.Tensor>;
}

/** onnxruntime feeds of one decoder run (every graph input; sessions take the subset they declare). */
export function decoderFeeds(
  inputs: DecoderInputs,
  cache: readonly DecoderCacheEntry[],
  run: DecoderRun,
): Record<string, ort.Tensor> {
  const batch = run.tokens.length;
  const feeds: Record<string, ort.Tensor> = {
    [inputs.inputIds.name]: integerTensor(inputs.inputIds.type, run.tokens),
    [inputs.attentionMask.name]: integerTensor(inputs.attentionMask.type, run.attentionMask),
  };
  if (inputs.positionIds !== undefined)
    feeds[inputs.positionIds.name] = integerTensor(inputs.positionIds.type, run.positions);
  for (const entry of cache) {
    feeds[entry.past] =
      run.past?.get(entry.past) ??
      new ort.Tensor('float32', new Float32Array(0), [batch, entry.heads, 0, entry.headSize]);
  }
  return feeds;
}

/** The feeds a session declares, out of all of a run's. */
export function feedsFor(
  session: ort.InferenceSession,
  feeds: Readonly<Record<string, ort.Tensor>>,
): Record<string, ort.Tensor> {
  return Object.fromEntries(session.inputNames.map((name) => [name, feeds[name] as ort.Tensor]));
}

function integerTensor(type: 'int64' | 'int32', rows: readonly (readonly number[])[]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  const flat = rows.flat();
  return type === 'int64'
    ? new ort.Tensor(
        'int64',
        BigInt64Array.from(flat, (value) => BigInt(value)),
        [rows.length, width],
      )
    : new ort.Tensor('int32', Int32Array.from(flat), [rows.length, width]);
}
