import {
  type GraceBackend,
  type LabelledExample,
  type LifelongData,
  type LifelongRun,
  SeededRandom,
  type SplitPolicy,
  sequentialFineTuningMethod,
  softMemoryMethod,
} from '@grace/core';
import {
  type LandeEditLayer,
  type LandeModel,
  landeEditableModel,
  loadLandeModel,
  loadUdhrSnippets,
  type Snippet,
  splitSnippetsByArticle,
} from '@grace/models';
import { uneditedMethod } from './grace-method.js';
import { compareMethods } from './method-comparison.js';

/**
 * The flagship run: lande, a real deployed language-identification network, streamed 3-word UDHR snippets it
 * gets wrong, edited thousands of times in a row. GRACE (a sweep of eps_init and split policy) against the
 * unedited model and continual fine-tuning of the same layer, under the protocol of DESIGN.md section 8.
 */
export interface LandeExperimentOptions {
  readonly backend: GraceBackend;
  /** Stream length: how many of the model's real mistakes are streamed. Default 1,000. */
  readonly edits?: number;
  readonly words?: number;
  readonly seed?: number;
  /** The layer fine-tuning trains and the reference cut; default dense1. */
  readonly layer?: LandeEditLayer;
  /** Layers GRACE is swept over; default dense1 and dense0. */
  readonly layers?: readonly LandeEditLayer[];
  /** eps_init values at dense1 (120 hidden units; same-language distances have a median of about 3). */
  readonly epsValues?: readonly number[];
  /** eps_init values at dense0 (620 n-gram frequencies; distances are about ten times smaller). */
  readonly dense0EpsValues?: readonly number[];
  readonly splitPolicies?: readonly SplitPolicy[];
  readonly checkpoints?: number;
  readonly upstreamSize?: number;
  readonly holdoutSize?: number;
  readonly fineTuning?: { readonly steps: number; readonly learningRate: number };
  /** Where the soft memory's null slot and a key weigh the same, at the fine-tuned layer. Default 1. */
  readonly softMemoryRadius?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

export interface LandeExperimentResult {
  readonly config: Omit<Required<LandeExperimentOptions>, 'backend' | 'onProgress'> & {
    readonly backend: string;
  };
  readonly sizes: {
    readonly stream: number;
    readonly upstream: number;
    readonly holdout: number;
    readonly snippets: number;
  };
  /** The unedited model's error rate on all snippets of the stream articles. */
  readonly baseErrorRate: number;
  readonly runs: readonly LifelongRun[];
  /** The GRACE run with the best Edit Score (mean of final TRR and ERR). */
  readonly best: string;
}

function sample<T>(items: readonly T[], count: number, random: SeededRandom): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy.slice(0, count);
}

/** Featurising text costs more than the network; the protocol asks for the same texts again and again. */
function withFeatureCache(lande: LandeModel): LandeModel {
  const cache = new Map<string, Float32Array>();
  return {
    ...lande,
    featurize: (text) => {
      let features = cache.get(text);
      if (features === undefined) {
        features = lande.featurize(text);
        cache.set(text, features);
      }
      return features;
    },
  };
}

export async function runLandeExperiment(options: LandeExperimentOptions): Promise<LandeExperimentResult> {
  const config = {
    edits: options.edits ?? 1000,
    words: options.words ?? 3,
    seed: options.seed ?? 1,
    layer: options.layer ?? 'dense1',
    layers: options.layers ?? ['dense1', 'dense0'],
    epsValues: options.epsValues ?? [0.25, 0.5, 1, 2],
    dense0EpsValues: options.dense0EpsValues ?? [0.05, 0.1, 0.2],
    splitPolicies: options.splitPolicies ?? ['halve', 'keep'],
    checkpoints: options.checkpoints ?? 10,
    upstreamSize: options.upstreamSize ?? 1000,
    holdoutSize: options.holdoutSize ?? 500,
    fineTuning: options.fineTuning ?? { steps: 10, learningRate: 1e-2 },
    softMemoryRadius: options.softMemoryRadius ?? 1,
  };
  const { backend } = options;
  const progress = options.onProgress ?? (() => undefined);
  const lande = withFeatureCache(await loadLandeModel());
  const snippets = await loadUdhrSnippets({ words: config.words });
  const split = splitSnippetsByArticle(snippets, config.seed);
  const random = new SeededRandom(config.seed);
  const model = landeEditableModel(lande, config.layer);
  const editorOptions = { backend };

  // The unedited model's mistakes: the stream is made of them, the holdout set too.
  const unedited = uneditedMethod(model, editorOptions);
  const wrongOf = async (items: readonly Snippet[]): Promise<Snippet[]> => {
    const predictions = await unedited.predict(items.map((snippet) => snippet.text));
    return items.filter((snippet, index) => predictions[index] !== snippet.language);
  };
  const streamErrors = await wrongOf(split.stream);
  const holdoutErrors = await wrongOf(split.holdout);
  unedited.dispose?.();
  const labelled = (items: readonly Snippet[]): LabelledExample<string>[] =>
    items.map((snippet) => ({ input: snippet.text, label: snippet.language }));
  const data: LifelongData<string> = {
    stream: labelled(streamErrors.slice(0, config.edits)),
    upstream: labelled(sample(split.upstream, config.upstreamSize, random)),
    holdout: labelled(sample(holdoutErrors, config.holdoutSize, random)),
  };
  const task = {
    model: lande.model,
    features: (text: string) => lande.featurize(text),
    classOf: (label: unknown) => lande.languages.indexOf(label as string),
    labelOf: (classId: number) => lande.languages[classId] as string,
  };
  const layers = config.layers.map((layer) => ({
    layer,
    model: layer === config.layer ? model : landeEditableModel(lande, layer),
  }));
  const { runs, best } = await compareMethods({
    backend,
    data,
    reference: model,
    settings: layers.flatMap(({ layer, model: layerModel }) =>
      config.splitPolicies.flatMap((splitPolicy) =>
        (layer === 'dense0' ? config.dense0EpsValues : config.epsValues).map((epsInit) => ({
          layer,
          model: layerModel,
          epsInit,
          splitPolicy,
        })),
      ),
    ),
    baselines: [
      () => sequentialFineTuningMethod(backend, task, { layer: config.layer, ...config.fineTuning }),
      () => softMemoryMethod(backend, model, { radius: config.softMemoryRadius, seed: config.seed }),
    ],
    checkpoints: config.checkpoints,
    seed: config.seed,
    onProgress: progress,
  });
  return {
    config: { ...config, backend: backend.name },
    sizes: {
      stream: data.stream.length,
      upstream: data.upstream.length,
      holdout: data.holdout.length,
      snippets: snippets.length,
    },
    baseErrorRate: streamErrors.length / split.stream.length,
    runs,
    best,
  };
}
