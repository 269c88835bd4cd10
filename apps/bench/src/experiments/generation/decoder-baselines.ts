import {
  type EditingMethod,
  type GraceBackend,
  type LifelongData,
  type LifelongProtocolOptions,
  layerFineTuningMethod,
  runLifelongProtocol,
  softMemoryMethod,
} from '@grace/core';
import { perplexityOf } from '@grace/models-decoder';
import { type CausalLmInput, editedLayerWeights, type OnnxCausalLm } from '@grace/onnx';
import { UsageError } from '../../usage-error.js';
import { continuationLikelihoodOf, methodTokenScores } from './continuation-perplexity.js';
import type { DecoderFactsRun } from './decoder-facts-experiment.js';
import { type KeyTrace, traceKeys } from './keys-vs-edits.js';

/** The baselines the decoder's GRACE runs are compared with, at the same layer and on the same stream. */
export const decoderBaselineNames = ['fine-tuning', 'soft-memory'] as const;
export type DecoderBaseline = (typeof decoderBaselineNames)[number];

/** `--baselines fine-tuning,soft-memory` (or `none`): the baselines to run, refused when unknown. */
export function parseDecoderBaselines(text: string): DecoderBaseline[] {
  if (text.trim() === 'none') return [];
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !(decoderBaselineNames as readonly string[]).includes(name));
  if (unknown !== undefined)
    throw new UsageError(
      `--baselines takes ${decoderBaselineNames.join(', ')} or none (comma-separated), got '${unknown}'`,
    );
  return [...new Set(names as DecoderBaseline[])];
}

/**
 * Refuses, before any run starts, a baseline that cannot use the GRACE runs' replacement mode: the soft memory
 * mixes one vector per key into the layer's output, so it has no meaning for `span` values (S vectors per key).
 * @throws UsageError naming the modes it takes.
 */
export function expectBaselinesFitReplacement(
  baselines: readonly DecoderBaseline[],
  replacement: 'all' | 'last' | 'span',
): void {
  if (replacement === 'span' && baselines.includes('soft-memory'))
    throw new UsageError(
      'the soft memory mixes one vector per key: run it with --replacement all or last (span is the default)',
    );
}

/** How the baselines run; the rest (value-training budget, replacement, seed) is the GRACE runs'. */
export interface DecoderBaselineOptions {
  readonly baselines: readonly DecoderBaseline[];
  /** Continual fine-tuning's Adam learning rate on the layer's weight and bias. Default 1e-3. */
  readonly fineTuningLearningRate?: number;
}

/** What {@link runDecoderBaselines} needs from the experiment. */
export interface DecoderBaselineRun extends DecoderBaselineOptions {
  readonly backend: GraceBackend;
  /** The decoder cut at the layer GRACE edits (its first setting's). */
  readonly model: OnnxCausalLm;
  /** The layer's name in reports, e.g. `h.3.mlp.c_proj`. */
  readonly layerName: string;
  readonly seed: number;
  /** GRACE's value-training budget: fine-tuning takes this many Adam steps per edit, the soft memory too. */
  readonly iterations: number;
  /** The GRACE runs' mode; the soft memory takes `all` or `last` (see {@link expectBaselinesFitReplacement}). */
  readonly replacement: 'all' | 'last' | 'span';
  /** The soft memory's radius (where a key's weight equals the frozen output's). */
  readonly softMemoryRadius: number;
  readonly data: LifelongData<CausalLmInput>;
  readonly protocolOptions: LifelongProtocolOptions;
  /** The continuations perplexity is measured on after the stream: edited facts, right facts, held-out text. */
  readonly perplexitySets: {
    readonly err: readonly CausalLmInput[];
    readonly arr: readonly CausalLmInput[];
    readonly trr: readonly CausalLmInput[];
  };
}

/**
 * Runs each baseline on the decoder's stream, through the lifelong protocol like the GRACE runs, and measures
 * their perplexities after it through their own prediction paths:
 * - `fine-tuning`: the edited layer's own weight and bias (read from the ONNX graph) trained with Adam on each
 *   error's teacher-forced loss, `iterations` steps per edit, one error after the other (the paper's FT baseline);
 * - `soft-memory`: GRACE's keys and trained values read by attention over the same layer's input at the prompt's
 *   last token, mixed into the tokens the replacement mode names.
 * Returns the runs and each one's keys after every edit (the soft memory's; fine-tuning has none).
 */
export async function runDecoderBaselines(
  options: DecoderBaselineRun,
): Promise<{ readonly runs: DecoderFactsRun[]; readonly keyTraces: Record<string, KeyTrace> }> {
  const { backend, model, layerName } = options;
  const runs: DecoderFactsRun[] = [];
  const keyTraces: Record<string, KeyTrace> = {};
  expectBaselinesFitReplacement(options.baselines, options.replacement);
  const { replacement } = options;
  const makers: Record<DecoderBaseline, () => EditingMethod<CausalLmInput>> = {
    'fine-tuning': () => {
      const learningRate = options.fineTuningLearningRate ?? 1e-3;
      return layerFineTuningMethod(backend, model, editedLayerWeights(model.onnx), {
        name: `fine-tuning ${layerName} lr ${learningRate}`,
        steps: options.iterations,
        learningRate,
      });
    },
    'soft-memory': () => ({
      ...softMemoryMethod(backend, model, {
        radius: options.softMemoryRadius,
        iterations: options.iterations,
        seed: options.seed,
        replacement: replacement === 'span' ? 'last' : replacement,
      }),
      name: `soft memory ${layerName} ${replacement} radius ${options.softMemoryRadius}`,
    }),
  };
  for (const baseline of options.baselines) {
    const method = makers[baseline]();
    try {
      const traced = traceKeys(method);
      const run = await runLifelongProtocol(traced.method, options.data, options.protocolOptions);
      keyTraces[method.name] = traced.trace;
      const perplexity = async (inputs: readonly CausalLmInput[]) =>
        perplexityOf(await continuationLikelihoodOf(methodTokenScores(method), inputs));
      runs.push({
        ...run,
        errPerplexity: await perplexity(options.perplexitySets.err),
        arrPerplexity: await perplexity(options.perplexitySets.arr),
        trrPerplexity: await perplexity(options.perplexitySets.trr),
      });
    } finally {
      method.dispose?.();
    }
  }
  return { runs, keyTraces };
}
