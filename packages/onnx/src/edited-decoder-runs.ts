import { type GraceLayer, keyTokenPositions, type Tensor } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { type DecoderRun, decoderFeeds, feedsFor } from './decoder-feeds.js';
import type { OnnxDecoder } from './load-onnx-decoder.js';
import { replacementMaskInput, replacementValuesInput } from './replaceable-layer-model.js';

/** What one decoder run gives back: logits `[B, S, V]` and the present cache by past input name. */
export interface DecoderRunResult {
  readonly logits: ort.Tensor;
  readonly past: Map<string, ort.Tensor>;
}

/** The GRACE decision of a generation, made once at prefill and fixed for every later token. */
interface PrefillDecision {
  /** The key that fired per row, -1 where the layer deferred. */
  readonly hits: Int32Array;
  /** Each row's key token in the prompt (where `last` puts the value, and before which `prompt` puts it). */
  readonly keyPositions: Int32Array;
  /** `[B × Dk]`: each row's query, kept to re-apply the same decision on a recomputed sequence. */
  readonly queries: Float32Array;
  /** The chosen value of each row that fired (`undefined` where none did): `[Dv]`, or `[S·Dv]` for `span`. */
  readonly values: readonly (Float32Array | undefined)[];
}

/** Runs the whole unedited model once: the plain path, and the reference the edited paths are checked against. */
export async function runFullModel(decoder: OnnxDecoder, run: DecoderRun): Promise<DecoderRunResult> {
  const feeds = decoderFeeds(decoder.inputs, decoder.cache, run);
  const outputs = await decoder.fullSession.run(feedsFor(decoder.fullSession, feeds));
  return { logits: outputs[decoder.logits] as ort.Tensor, past: presentsToPast(decoder, outputs) };
}

/**
 * One generation's runs of an edited decoder. The prefill runs the prefix, decides with the GRACE layer on its
 * backend which key (if any) fires for each prompt, from its key token, and runs the suffix on the replaced
 * layer output. Later runs keep that decision:
 * - with the cache, a step runs the whole model once: plain when no row needs a replacement — the replaced
 *   prompt already lives in the suffix layers' cached keys and values, which is how its effect reaches every later
 *   token — and with the rows' values fed to its replaceable layer output in `all` mode, or in `span` mode the
 *   value's vector k at decoding step k while k < S (the new token sits at position key token + k);
 * - without it, the whole sequence is recomputed, and the backend's `lookup` re-applies the fixed decision over
 *   it (a codebook of the prefill's firing queries, radius 0), with the mode's token rule. A span's later vectors
 *   belong to the generated tokens, which follow the whole padded prompt: a second `lookup` puts them there.
 */
export class EditedDecoderRuns {
  private decision: PrefillDecision | undefined;

  constructor(
    private readonly decoder: OnnxDecoder,
    private readonly layer: GraceLayer,
    private readonly promptLengths: readonly number[],
  ) {}

  /** The key that fired per prompt (-1: none); known after the prefill. */
  get keyIndices(): Int32Array {
    return this.decision?.hits ?? new Int32Array(this.promptLengths.length).fill(-1);
  }

  async prefill(run: DecoderRun): Promise<DecoderRunResult> {
    const backend = this.layer.backend;
    const prefix = await this.runPrefix(run);
    const [layerInput, layerOutput] = this.uploadLayer(prefix, run);
    try {
      const lengths = this.promptLengths;
      const replaced = this.layer.forward({ layerInput, layerOutput, lengths });
      try {
        const [output, hits, queries] = await Promise.all([
          backend.download(replaced.output),
          backend.download(replaced.hitIndex),
          this.layer.readQueries(layerInput, lengths),
        ]);
        const hitRows = Int32Array.from(hits as ArrayLike<number>);
        this.decision = {
          hits: hitRows,
          keyPositions: keyTokenPositions(this.layer.keyToken, Int32Array.from(lengths)),
          queries,
          values: Array.from(hitRows, (hit) => (hit < 0 ? undefined : this.layer.codebook.entry(hit).value)),
        };
        return await this.runSuffix(run, prefix, output as Float32Array);
      } finally {
        backend.dispose(replaced.output);
        backend.dispose(replaced.hitIndex);
      }
    } finally {
      backend.dispose(layerInput);
      backend.dispose(layerOutput);
    }
  }

  /**
   * Cached decoding step `step` (1 for the first token after the prefill): one new token per row on the cache of
   * the previous run. `all` replaces every new token's output with its row's value, `span` with the value's vector
   * `step` while `step < S`; then the whole model runs once with those vectors fed to its replaceable layer output.
   */
  async cachedStep(run: DecoderRun, step: number): Promise<DecoderRunResult> {
    const decision = this.requireDecision();
    const width = this.decoder.valueDimension;
    const vector = this.layer.replacement === 'all' ? 0 : step;
    const replacing =
      (this.layer.replacement === 'all' ||
        (this.layer.replacement === 'span' && step < this.layer.spanLength)) &&
      decision.hits.some((hit) => hit >= 0);
    const session = this.decoder.replaceableSession;
    if (!replacing || session === undefined) return runFullModel(this.decoder, run);
    const batch = run.tokens.length;
    const tokens = run.tokens[0]?.length ?? 1;
    const values = new Float32Array(batch * tokens * width);
    const mask = new Uint8Array(batch * tokens);
    decision.values.forEach((value, row) => {
      if (value === undefined) return;
      for (let token = 0; token < tokens; token++) {
        values.set(value.subarray(vector * width, (vector + 1) * width), (row * tokens + token) * width);
        mask[row * tokens + token] = 1;
      }
    });
    const leading = this.decoder.layerOutputRank === 2 ? [batch * tokens] : [batch, tokens];
    const feeds = decoderFeeds(this.decoder.inputs, this.decoder.cache, run);
    feeds[replacementValuesInput] = new ort.Tensor('float32', values, [...leading, width]);
    feeds[replacementMaskInput] = new ort.Tensor('bool', mask, [...leading, 1]);
    const outputs = await session.run(feedsFor(session, feeds));
    return {
      logits: outputs[this.decoder.logits] as ort.Tensor,
      past: presentsToPast(this.decoder, outputs),
    };
  }

  /**
   * An uncached step: the whole sequence again, the prefill's decision re-applied by the backend's lookup. A span
   * is laid as at prefill (from each row's key token, so padding columns match the cached path's), then its
   * vectors 1…S−1 are laid again from the first generated column, where decoding put them.
   */
  async recomputedStep(run: DecoderRun, promptWidth: number): Promise<DecoderRunResult> {
    const decision = this.requireDecision();
    const prefix = await this.runPrefix(run);
    const firing = Array.from(decision.hits.keys()).filter((row) => (decision.hits[row] as number) >= 0);
    if (firing.length === 0) {
      const frozen = prefix[this.decoder.cut.editPoint.output] as ort.Tensor;
      return this.runSuffix(run, prefix, frozen.data as Float32Array);
    }
    const [, layerOutput] = this.uploadLayer(prefix, run, false);
    const owned: Tensor[] = [layerOutput];
    const backend = this.layer.backend;
    try {
      const valueWidth = this.layer.codebook.valueDimension;
      let replaced = this.replayLookup(decision, firing, layerOutput, {
        keyPositions: decision.keyPositions,
        first: 0,
        end: valueWidth,
      });
      owned.push(replaced);
      const width = this.decoder.valueDimension;
      if (this.layer.replacement === 'span' && valueWidth > width) {
        replaced = this.replayLookup(decision, firing, replaced, {
          keyPositions: new Int32Array(decision.hits.length).fill(promptWidth),
          first: width,
          end: valueWidth,
        });
        owned.push(replaced);
      }
      const output = await backend.download(replaced);
      return await this.runSuffix(run, prefix, output as Float32Array);
    } finally {
      for (const tensor of owned) backend.dispose(tensor);
    }
  }

  /**
   * The backend's `lookup` of the prefill's decision over `layerOutput` (a new tensor): a codebook of the firing
   * rows' queries, radius 0, whose values are the floats `[first, end)` of each row's value, laid from
   * `keyPositions` with the layer's replacement mode.
   */
  private replayLookup(
    decision: PrefillDecision,
    firing: readonly number[],
    layerOutput: Tensor<'float32'>,
    layout: { readonly keyPositions: Int32Array; readonly first: number; readonly end: number },
  ): Tensor<'float32'> {
    const backend = this.layer.backend;
    const keyWidth = this.decoder.keyDimension;
    const width = layout.end - layout.first;
    const keys = new Float32Array(firing.length * keyWidth);
    const values = new Float32Array(firing.length * width);
    firing.forEach((row, index) => {
      keys.set(decision.queries.subarray(row * keyWidth, (row + 1) * keyWidth), index * keyWidth);
      values.set((decision.values[row] as Float32Array).subarray(layout.first, layout.end), index * width);
    });
    const owned: Tensor[] = [
      backend.upload(decision.queries, [decision.hits.length, keyWidth]),
      backend.upload(keys, [firing.length, keyWidth]),
      backend.upload(new Float32Array(firing.length), [firing.length]),
      backend.upload(values, [firing.length, width]),
      backend.upload(layout.keyPositions, [decision.hits.length]),
    ];
    try {
      const [queries, keyTensor, radii, valueTensor, keyPositions] = owned;
      const replaced = backend.lookup({
        queries: queries as Tensor<'float32'>,
        keys: keyTensor as Tensor<'float32'>,
        radii: radii as Tensor<'float32'>,
        values: valueTensor as Tensor<'float32'>,
        layerOutput,
        keyPositions: keyPositions as Tensor<'int32'>,
        mode: this.layer.replacement,
      });
      backend.dispose(replaced.hitIndex);
      return replaced.output;
    } finally {
      for (const tensor of owned) backend.dispose(tensor);
    }
  }

  private requireDecision(): PrefillDecision {
    if (this.decision === undefined) throw new Error('a decoding step before the prefill');
    return this.decision;
  }

  private async runPrefix(run: DecoderRun): Promise<Record<string, ort.Tensor>> {
    const feeds = decoderFeeds(this.decoder.inputs, this.decoder.cache, run);
    const session = this.decoder.prefixSession;
    return (await session.run(feedsFor(session, feeds))) as Record<string, ort.Tensor>;
  }

  /** The layer input and output as `[B, S, D]` tensors of the backend (a Gemm's `[B·S, D]` reshaped). */
  private uploadLayer(
    prefix: Record<string, ort.Tensor>,
    run: DecoderRun,
    withInput = true,
  ): [Tensor<'float32'>, Tensor<'float32'>] {
    const backend = this.layer.backend;
    const batch = run.tokens.length;
    const tokens = run.tokens[0]?.length ?? 1;
    const { input, output } = this.decoder.cut.editPoint;
    const shape = (width: number) => [batch, tokens, width];
    const layerOutput = backend.upload(
      (prefix[output] as ort.Tensor).data as Float32Array,
      shape(this.decoder.valueDimension),
    ) as Tensor<'float32'>;
    const layerInput = withInput
      ? (backend.upload(
          (prefix[input] as ort.Tensor).data as Float32Array,
          shape(this.decoder.keyDimension),
        ) as Tensor<'float32'>)
      : layerOutput;
    return [layerInput, layerOutput];
  }

  private async runSuffix(
    run: DecoderRun,
    prefix: Record<string, ort.Tensor>,
    layerOutput: Float32Array,
  ): Promise<DecoderRunResult> {
    const { cut, suffixSession } = this.decoder;
    const frozen = prefix[cut.editPoint.output] as ort.Tensor;
    const feeds = decoderFeeds(this.decoder.inputs, this.decoder.cache, run);
    for (const name of cut.crossingTensors) feeds[name] = prefix[name] as ort.Tensor;
    feeds[cut.editPoint.output] = new ort.Tensor('float32', layerOutput, [...frozen.dims]);
    const outputs = await suffixSession.run(feedsFor(suffixSession, feeds));
    return {
      logits: outputs[this.decoder.logits] as ort.Tensor,
      past: presentsToPast(this.decoder, { ...prefix, ...outputs }),
    };
  }
}

/** The presents of a run, keyed by the past input they feed next. */
function presentsToPast(
  decoder: OnnxDecoder,
  outputs: Readonly<Record<string, ort.OnnxValue>>,
): Map<string, ort.Tensor> {
  return new Map(decoder.cache.map((entry) => [entry.past, outputs[entry.present] as ort.Tensor]));
}
