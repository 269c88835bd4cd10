import { type GraceBackend, type LabelledExample, type LifelongData, SeededRandom } from '@grace/core';
import {
  createPooledEmbeddingCache,
  loadSpamAssassinEmails,
  loadUseLiteModel,
  type PooledEmbeddingCache,
  type SpamAssassinEmail,
  type SpamFilter,
  spamEmailText,
  spamFilterEditableModel,
  trainSpamFilter,
  type UseLiteModel,
} from '@grace/models-use';
import { uneditedMethod } from './grace-method.js';
import { readPooledEmbeddingFile, writePooledEmbeddingFile } from './pooled-embedding-file.js';

/** The split and the deployed filter that the SpamAssassin drift runs (pooled and token level) share. */
export interface SpamDriftSetupOptions {
  readonly backend: GraceBackend;
  /** Body words per e-mail after the subject. */
  readonly words: number;
  readonly seed: number;
  /** Early e-mails the head is trained on. */
  readonly trainSize: number;
  /** Other early e-mails, for TRR. */
  readonly upstreamSize: number;
  /** Later e-mails deployed in arrival order; the filter's mistakes among them are the stream. */
  readonly deployedSize: number;
  /** Other later e-mails, never streamed; the filter's mistakes among them are the holdout set. */
  readonly heldOutSize: number;
  /** Longest stream (`Infinity`: every mistake among the deployed e-mails). */
  readonly edits: number;
  /** ReLU units of the head's hidden layer; 0 for a linear head 512 → 2. */
  readonly hiddenUnits: number;
  readonly headEpochs: number;
  /** A file the pooled states are read from and saved to between runs (optional). */
  readonly embeddingFile?: string;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

/** The split options of a SpamAssassin drift run: each run names its own defaults. */
export type SpamDriftSplitOptions = Pick<SpamDriftSetupOptions, 'backend'> &
  Partial<Omit<SpamDriftSetupOptions, 'backend'>>;

/** The encoder, its pooled states, the trained filter and the lifelong data built from its mistakes. */
export interface SpamDriftSetup {
  readonly encoder: UseLiteModel;
  readonly pooling: PooledEmbeddingCache;
  readonly filter: SpamFilter;
  /** The filter edited at USE-lite's hidden dense layer (keys: pooled sentence states). */
  readonly pooledModel: ReturnType<typeof spamFilterEditableModel>;
  readonly data: LifelongData<string>;
  /** E-mails per part of the split, and the deployed filter's mistakes among them before any edit. */
  readonly counts: Readonly<
    Record<'upstream' | 'deployed' | 'heldOut', { emails: number; mistakes: number }>
  >;
  /** Seconds spent embedding (0 when every state came from the file). */
  readonly embeddingSeconds: number;
}

function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = random.integer(0, index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/**
 * Splits SpamAssassin into early (training, upstream) and later (deployed, held-out) mail with a seeded
 * shuffle, embeds every text once with USE-lite (the transformer is frozen; a file of earlier runs is reused),
 * trains the head on the early mail and streams the deployed filter's mistakes. The same seed and sizes give
 * the same split, filter and stream, so runs at different edit points compare on the same data.
 */
export async function prepareSpamDrift(options: SpamDriftSetupOptions): Promise<SpamDriftSetup> {
  const { backend } = options;
  const progress = options.onProgress ?? (() => undefined);
  const random = new SeededRandom(options.seed);
  const emails = loadSpamAssassinEmails();
  const early = shuffled(
    emails.filter((email) => email.period === 'early'),
    random,
  );
  const late = shuffled(
    emails.filter((email) => email.period === 'late'),
    random,
  );
  const training = early.slice(0, options.trainSize);
  const upstream = early.slice(options.trainSize, options.trainSize + options.upstreamSize);
  const deployed = late.slice(0, options.deployedSize);
  const heldOut = late.slice(options.deployedSize, options.deployedSize + options.heldOutSize);
  const textOf = (email: SpamAssassinEmail): string => spamEmailText(email, options.words);
  const labelled = (items: readonly SpamAssassinEmail[]): LabelledExample<string>[] =>
    items.map((email) => ({ input: textOf(email), label: email.label }));

  const encoder = await loadUseLiteModel();
  const pooling = createPooledEmbeddingCache(encoder);
  const texts = [...training, ...upstream, ...deployed, ...heldOut].map(textOf);
  if (options.embeddingFile !== undefined)
    await readPooledEmbeddingFile(options.embeddingFile, pooling, texts);
  const embeddingStarted = performance.now();
  const before = pooling.size;
  await pooling.prime(texts, (done, total) => progress('embedding e-mails', done, total));
  const embeddingSeconds = pooling.size === before ? 0 : (performance.now() - embeddingStarted) / 1000;
  if (options.embeddingFile !== undefined && pooling.size > before) {
    await writePooledEmbeddingFile(options.embeddingFile, pooling);
  }

  progress('training the head', 0, 1);
  const filter = await trainSpamFilter({
    backend,
    encoder,
    pooling,
    texts: training.map(textOf),
    labels: training.map((email) => email.label),
    hiddenUnits: options.hiddenUnits,
    epochs: options.headEpochs,
    seed: options.seed,
  });
  progress('training the head', 1, 1);
  const pooledModel = spamFilterEditableModel(filter);
  const unedited = uneditedMethod(pooledModel, { backend });
  const mistakesAmong = async (items: readonly SpamAssassinEmail[]) => {
    const predictions = await unedited.predict(items.map(textOf));
    return items.filter((email, index) => predictions[index] !== email.label);
  };
  const deployedMistakes = await mistakesAmong(deployed);
  const heldOutMistakes = await mistakesAmong(heldOut);
  const upstreamMistakes = await mistakesAmong(upstream);
  unedited.dispose?.();
  return {
    encoder,
    pooling,
    filter,
    pooledModel,
    data: {
      stream: labelled(deployedMistakes.slice(0, options.edits)),
      upstream: labelled(upstream),
      holdout: labelled(heldOutMistakes),
    },
    counts: {
      upstream: { emails: upstream.length, mistakes: upstreamMistakes.length },
      deployed: { emails: deployed.length, mistakes: deployedMistakes.length },
      heldOut: { emails: heldOut.length, mistakes: heldOutMistakes.length },
    },
    embeddingSeconds,
  };
}
