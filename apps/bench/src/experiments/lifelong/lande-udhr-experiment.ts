import type { GraceBackend, SplitPolicy } from '@grace/core';
import { SeededRandom } from '@grace/core';
import {
  type LandeEditLayer,
  type LandeModel,
  landeEditableModel,
  loadLandeModel,
  loadUdhrSnippets,
  type Snippet,
  splitSnippetsByArticle,
} from '@grace/models';
import { fineTuningMethod } from './fine-tuning-method.js';
import { graceMethod, uneditedMethod } from './grace-method.js';
import {
  type LabelledInput,
  type LifelongData,
  type MethodRun,
  runLifelongProtocol,
} from './lifelong-protocol.js';

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
  readonly layer?: LandeEditLayer;
  readonly epsValues?: readonly number[];
  readonly splitPolicies?: readonly SplitPolicy[];
  readonly checkpoints?: number;
  readonly upstreamSize?: number;
  readonly holdoutSize?: number;
  readonly fineTuning?: { readonly steps: number; readonly learningRate: number };
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
  readonly runs: readonly MethodRun[];
  /** The GRACE run with the best Edit Score (mean of final TRR and ERR). */
  readonly best: string;
}

const sequentialIndexOf: Record<LandeEditLayer, number> = { dense0: 0, dense1: 2 };

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

export function editScore(run: MethodRun): number {
  const last = run.checkpoints.at(-1);
  return last === undefined ? 0 : (last.trr + last.err) / 2;
}

export async function runLandeExperiment(options: LandeExperimentOptions): Promise<LandeExperimentResult> {
  const config = {
    edits: options.edits ?? 1000,
    words: options.words ?? 3,
    seed: options.seed ?? 1,
    layer: options.layer ?? 'dense1',
    epsValues: options.epsValues ?? [0.25, 0.5, 1, 2],
    splitPolicies: options.splitPolicies ?? ['halve', 'keep'],
    checkpoints: options.checkpoints ?? 10,
    upstreamSize: options.upstreamSize ?? 1000,
    holdoutSize: options.holdoutSize ?? 500,
    fineTuning: options.fineTuning ?? { steps: 10, learningRate: 1e-2 },
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
  unedited.dispose();
  const labelled = (items: readonly Snippet[]): LabelledInput<string>[] =>
    items.map((snippet) => ({ input: snippet.text, label: snippet.language }));
  const data: LifelongData<string> = {
    stream: labelled(streamErrors.slice(0, config.edits)),
    upstream: labelled(sample(split.upstream, config.upstreamSize, random)),
    holdout: labelled(sample(holdoutErrors, config.holdoutSize, random)),
  };
  const checkpointEvery = Math.max(1, Math.ceil(data.stream.length / config.checkpoints));
  const protocol = { checkpointEvery, onProgress: progress };

  const runs: MethodRun[] = [
    await runLifelongProtocol(() => uneditedMethod(model, editorOptions), data, protocol),
  ];
  const graceRuns: MethodRun[] = [];
  for (const splitPolicy of config.splitPolicies) {
    for (const epsInit of config.epsValues) {
      const name = `GRACE ${config.layer} ε ${epsInit} ${splitPolicy}`;
      const run = await runLifelongProtocol(
        () => graceMethod(name, model, { backend, epsInit, splitPolicy, seed: config.seed }),
        data,
        protocol,
      );
      graceRuns.push(run);
    }
  }
  runs.push(...graceRuns);
  const task = {
    model: lande.model,
    features: (text: string) => lande.featurize(text),
    classOf: (label: unknown) => lande.languages.indexOf(label as string),
    labelOf: (classId: number) => lande.languages[classId] as string,
  };
  runs.push(
    await runLifelongProtocol(
      () => fineTuningMethod(backend, task, { layer: sequentialIndexOf[config.layer], ...config.fineTuning }),
      data,
      protocol,
    ),
  );
  const best = graceRuns.reduce((winner, run) => (editScore(run) > editScore(winner) ? run : winner));
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
    best: best.method,
  };
}
