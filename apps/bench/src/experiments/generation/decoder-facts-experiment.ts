import {
  type EditingMethod,
  type EditLabel,
  type GraceBackend,
  GraceEditor,
  graceEditingMethod,
  type LifelongCheckpoint,
  type LifelongData,
  type LifelongProgressEvent,
  labelsEqual,
  runLifelongProtocol,
} from '@grace/core';
import { decoderModelFiles, perplexityOf } from '@grace/models-decoder';
import { type CausalLmInput, listEditPoints, loadOnnxCausalLm, readOnnxModel } from '@grace/onnx';
import { continuationLikelihood } from './continuation-perplexity.js';
import {
  type DecoderBaselineOptions,
  expectBaselinesFitReplacement,
  runDecoderBaselines,
} from './decoder-baselines.js';
import { type FactExample, prepareDecoderFacts } from './decoder-facts-setup.js';
import { type KeyTrace, traceKeys } from './keys-vs-edits.js';

/**
 * One GRACE configuration: the edited layer, as an index into the decoder's Linear layers in graph order (GPT-2
 * block b holds 4b attention c_attn, 4b + 1 attention c_proj, 4b + 2 MLP c_fc, 4b + 3 MLP c_proj; after the last
 * block, 16 is the language-model head, whose output is the logits), and ε_init.
 */
export interface DecoderGraceSetting {
  readonly layer: number;
  readonly epsInit: number;
}

const linearNames = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'];

/** `h.3.mlp.c_proj` for layer 15: the transformers name of a Linear layer index (`lm_head` after the blocks). */
export function linearLayerName(layer: number, blocks = 4): string {
  if (layer === blocks * 4) return 'lm_head';
  return `h.${Math.floor(layer / 4)}.${linearNames[layer % 4]}`;
}

export interface DecoderFactsOptions extends Partial<DecoderBaselineOptions> {
  readonly backend: GraceBackend;
  readonly seed: number;
  readonly settings: readonly DecoderGraceSetting[];
  /**
   * The soft memory's radius (its keys are the same layer's inputs as the first setting's); null: the first
   * setting's ε, and the soft memory runs only when `baselines` names it.
   */
  readonly softMemoryRadius: number | null;
  /** Value training per edit: Adam iterations (the run stops early once the edit is fixed). */
  readonly iterations: number;
  /**
   * Where a firing key's value replaces the layer output: `all` (every token, the generated ones included),
   * `last` (the prompt's last token only; later tokens read it through the attention after the layer) or `span`
   * (one vector per continuation position: the prompt's last token and the next S − 1).
   */
  readonly replacement: 'all' | 'last' | 'span';
  /** S of `span`: tokens per value. Default: the longest fact continuation (shorter ones end with `<eos>`). */
  readonly spanLength?: number;
  /** Only the first this many facts of the shuffled stream. Default: all. */
  readonly facts?: number;
  readonly checkpoints?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
  /** Each method's checkpoints as they are measured (a long run's partial results survive an interruption). */
  readonly onCheckpoint?: (method: string, checkpoint: LifelongCheckpoint) => void;
}

/** The figures of one method after the whole stream, as the paper reports them. */
export interface DecoderFactsRun {
  readonly method: string;
  readonly checkpoints: readonly LifelongCheckpoint[];
  readonly seconds: number;
  /** Perplexities after the stream, through the method's own prediction path (null for a method without token scores). */
  readonly errPerplexity: number | null;
  readonly arrPerplexity: number | null;
  readonly trrPerplexity: number | null;
}

export interface DecoderFactsResult {
  readonly facts: number;
  /** Stream facts the unedited decoder completes exactly (ARR's set) and gets wrong (the edits to make). */
  readonly uneditedRight: number;
  readonly uneditedWrong: number;
  readonly uneditedRightByTraining: { readonly trained: number; readonly heldOut: number };
  readonly unedited: {
    readonly errPerplexity: number;
    readonly arrPerplexity: number;
    readonly trrPerplexity: number;
  };
  readonly upstreamTokens: number;
  /** S of the `span` runs (1 for the other modes). */
  readonly spanLength: number;
  readonly runs: readonly DecoderFactsRun[];
  /** Keys after every edit, by method (those with a memory). */
  readonly keyTraces: Readonly<Record<string, KeyTrace>>;
}

/** The decoder's Linear layers in graph order: the blocks' Gemms, then the language-model head's MatMul. */
async function linearLayers(path: string): Promise<string[]> {
  const points = await listEditPoints(await readOnnxModel(path));
  const head = points.at(-1);
  const blocks = points.filter((point) => point.opType === 'Gemm').map((point) => point.name);
  return head?.opType === 'MatMul' ? [...blocks, head.name] : blocks;
}

/**
 * The paper's hallucination experiment on the shipped decoder: stream every country fact through it; when its
 * greedy continuation is wrong, edit with the true one. Reports ERR (exact match and perplexity of the edited
 * facts), ARR (exact match and perplexity of the facts it already completed right), TRR (perplexity of held-out
 * speech text) and Holdout (exact match on the rephrased prompts of the edited facts), for GRACE settings and the
 * soft memory, against the unedited decoder.
 */
export async function runDecoderFactsExperiment(options: DecoderFactsOptions): Promise<DecoderFactsResult> {
  const path = decoderModelFiles().decoder;
  const layers = await linearLayers(path);
  const setup = await prepareDecoderFacts({
    seed: options.seed,
    ...(options.facts === undefined ? {} : { facts: options.facts }),
  });
  const baselineNames = [
    ...new Set([
      ...(options.baselines ?? []),
      ...(options.softMemoryRadius === null ? [] : (['soft-memory'] as const)),
    ]),
  ];
  expectBaselinesFitReplacement(baselineNames, options.replacement);
  const span = options.replacement === 'span';
  // A span covers the longest continuation; shorter ones are trained followed by `<eos>`, where they stop.
  const spanLength = span
    ? (options.spanLength ?? Math.max(...setup.stream.map((example) => (example.label as number[]).length)))
    : 1;
  const layerOptions = { replacement: options.replacement, ...(span ? { spanLength } : {}) };
  const editorOptions = {
    backend: options.backend,
    seed: options.seed,
    training: { iterations: options.iterations, earlyStop: true, checkEvery: 5 },
    ...layerOptions,
  };
  const loadLayer = (layer: number) => {
    const name = layers[layer];
    if (name === undefined)
      throw new Error(`the decoder has ${layers.length} linear layers; no layer ${layer}`);
    const endToken = setup.tokenizer.endOfText;
    return loadOnnxCausalLm(path, { editAt: name, backend: options.backend, endToken, ...layerOptions });
  };

  // The unedited decoder: which facts it completes right, and the reference perplexities.
  const first = options.settings[0] as DecoderGraceSetting;
  const referenceModel = await loadLayer(first.layer);
  const reference = new GraceEditor(referenceModel, editorOptions);
  const uneditedLabels = (
    await reference.predictWithDetails(
      setup.stream.map((example) => example.input),
      { grace: false },
    )
  ).labels;
  const right = setup.stream.filter((example, index) =>
    labelsEqual(uneditedLabels[index] as number[], example.label),
  );
  const wrong = setup.stream.filter(
    (example, index) => !labelsEqual(uneditedLabels[index] as number[], example.label),
  );
  const perplexities = async (editor: GraceEditor<CausalLmInput>, grace: boolean) => ({
    errPerplexity: perplexityOf(
      await continuationLikelihood(
        editor,
        wrong.map((example) => example.input),
        { grace },
      ),
    ),
    arrPerplexity: perplexityOf(
      await continuationLikelihood(
        editor,
        right.map((example) => example.input),
        { grace },
      ),
    ),
    trrPerplexity: perplexityOf(await continuationLikelihood(editor, setup.upstreamText, { grace })),
  });
  const unedited = await perplexities(reference, false);
  const data: LifelongData<CausalLmInput> = {
    stream: setup.stream,
    upstream: right,
    holdout: wrong.map((example) => setup.holdoutOf.get((example as FactExample).fact) as FactExample),
  };
  const protocolOptions = {
    checkpointEvery: Math.max(1, Math.ceil(setup.stream.length / (options.checkpoints ?? 5))),
    onProgress: (event: LifelongProgressEvent) => {
      if (event.kind === 'input') options.onProgress?.(event.method, event.processed, event.total);
      else options.onCheckpoint?.(event.method, event.checkpoint);
    },
  };
  const runs: DecoderFactsRun[] = [];
  const keyTraces: Record<string, KeyTrace> = {};
  // The unedited decoder's stream labels are known already: look them up instead of predicting each input again.
  const known = new Map(
    setup.stream.map((example, index) => [example.input, uneditedLabels[index] as EditLabel]),
  );
  const uneditedMethod: EditingMethod<CausalLmInput> = {
    name: 'unedited',
    predict: async (inputs) => {
      const unknown = inputs.filter((input) => !known.has(input));
      const predicted =
        unknown.length === 0 ? [] : (await reference.predictWithDetails(unknown, { grace: false })).labels;
      for (const [index, input] of unknown.entries()) known.set(input, predicted[index] as EditLabel);
      return inputs.map((input) => known.get(input) as EditLabel);
    },
    edit: async () => undefined,
    keys: () => null,
  };
  const uneditedRun = await runLifelongProtocol(uneditedMethod, data, protocolOptions);
  runs.push({ ...uneditedRun, ...unedited });

  for (const setting of options.settings) {
    const model = setting.layer === first.layer ? referenceModel : await loadLayer(setting.layer);
    const editor = new GraceEditor(model, { ...editorOptions, epsInit: setting.epsInit });
    const mode = span ? `span ${spanLength}` : options.replacement;
    const name = `GRACE ${linearLayerName(setting.layer)} ${mode} ε ${setting.epsInit}`;
    try {
      const traced = traceKeys(graceEditingMethod(editor, name));
      const run = await runLifelongProtocol(traced.method, data, protocolOptions);
      keyTraces[name] = traced.trace;
      runs.push({ ...run, ...(await perplexities(editor, true)) });
    } finally {
      editor.dispose();
      if (model !== referenceModel) await model.release();
    }
  }
  try {
    const baselines = await runDecoderBaselines({
      ...options,
      baselines: baselineNames,
      model: referenceModel,
      layerName: linearLayerName(first.layer),
      softMemoryRadius: options.softMemoryRadius ?? first.epsInit,
      data,
      protocolOptions,
      perplexitySets: {
        err: wrong.map((example) => example.input),
        arr: right.map((example) => example.input),
        trr: setup.upstreamText,
      },
    });
    runs.push(...baselines.runs);
    Object.assign(keyTraces, baselines.keyTraces);
  } finally {
    reference.dispose();
    await referenceModel.release();
  }
  return {
    facts: setup.stream.length,
    uneditedRight: right.length,
    uneditedWrong: wrong.length,
    uneditedRightByTraining: {
      trained: right.filter((example) => (example as FactExample).fact.trained).length,
      heldOut: right.filter((example) => !(example as FactExample).fact.trained).length,
    },
    unedited,
    upstreamTokens: setup.upstreamText.length * 32,
    spanLength,
    runs,
    keyTraces,
  };
}
