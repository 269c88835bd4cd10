import { type GraceBackend, SeededRandom } from '@grace/core';
import {
  loadSpamAssassinEmails,
  type SpamAssassinEmail,
  type SpamFilter,
  type SpamLabel,
  spamClasses,
  spamEmailText,
} from '@grace/models-use';
import { shuffled } from '../../lande-ball-tree-benchmark.js';
import { type ClassifierDriftSetup, prepareClassifierDrift } from './classifier-drift-setup.js';

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
export interface SpamDriftSetup extends Omit<ClassifierDriftSetup<SpamLabel>, 'classifier'> {
  readonly filter: SpamFilter;
}

/**
 * Splits SpamAssassin into early (training, upstream) and later (deployed, held-out) mail with a seeded
 * shuffle, embeds every text once with USE-lite (the transformer is frozen; a file of earlier runs is reused),
 * trains the head on the early mail and streams the deployed filter's mistakes. The same seed and sizes give
 * the same split, filter and stream, so runs at different edit points compare on the same data.
 */
export async function prepareSpamDrift(options: SpamDriftSetupOptions): Promise<SpamDriftSetup> {
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
  const labelled = (items: readonly SpamAssassinEmail[]) =>
    items.map((email) => ({ input: spamEmailText(email, options.words), label: email.label }));
  const { classifier, ...setup } = await prepareClassifierDrift({
    ...options,
    classes: spamClasses,
    split: {
      training: labelled(early.slice(0, options.trainSize)),
      upstream: labelled(early.slice(options.trainSize, options.trainSize + options.upstreamSize)),
      deployed: labelled(late.slice(0, options.deployedSize)),
      heldOut: labelled(late.slice(options.deployedSize, options.deployedSize + options.heldOutSize)),
    },
  });
  return { ...setup, filter: classifier };
}
