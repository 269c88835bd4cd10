import type { EditableModel, EditLabel, GraceBackend, SuffixGraph } from '@grace/core';
import {
  classIdOf,
  type SentenceClassifier,
  sentenceClassifierEditableModel,
  sentenceClassifierGraph,
  sentenceClassifierLayerId,
  sentenceClassifierSuffix,
} from '../classifier/sentence-classifier.js';
import {
  type SentenceClassifierTokenModel,
  sentenceClassifierTokenLayerId,
  sentenceClassifierTokenModel,
} from '../classifier/sentence-classifier-token-model.js';
import {
  type SentenceClassifierTrainingOptions,
  trainSentenceClassifier,
} from '../classifier/train-sentence-classifier.js';
import type { SpamLabel } from './spam-assassin-emails.js';

/**
 * The SpamAssassin filter: a {@link SentenceClassifier} over e-mail text with the classes ham and spam. These
 * names are the sentence classifier's, fixed to those two classes.
 */
export type SpamFilter = SentenceClassifier<SpamLabel>;

/** The head's classes, in output order. */
export const spamClasses: readonly SpamLabel[] = ['ham', 'spam'];

/** The layer GRACE edits at the pooled edit point, in codebook files. */
export const spamFilterLayerId = sentenceClassifierLayerId;
/** The layer GRACE edits at token level, in codebook files. */
export const spamFilterTokenLayerId = sentenceClassifierTokenLayerId;
/** The spam filter edited inside USE-lite's transformer. */
export type SpamFilterTokenModel = SentenceClassifierTokenModel;
export type SpamFilterTrainingOptions = Omit<SentenceClassifierTrainingOptions<SpamLabel>, 'classes'>;

/** The class id of `'ham'` or `'spam'`; anything else is `INVALID_ARGUMENT`. */
export function spamClassOf(label: EditLabel): number {
  return classIdOf(spamClasses, label);
}

/** Trains a ham/spam head on upstream e-mails ({@link trainSentenceClassifier} with {@link spamClasses}). */
export function trainSpamFilter(options: SpamFilterTrainingOptions): Promise<SpamFilter> {
  return trainSentenceClassifier({ ...options, classes: spamClasses });
}

/** The filter from the hidden dense output on ({@link sentenceClassifierSuffix}). */
export function spamFilterSuffix(filter: SpamFilter): SuffixGraph {
  return sentenceClassifierSuffix(filter);
}

/** The filter from the pooling on ({@link sentenceClassifierGraph}): what continual fine-tuning trains. */
export function spamFilterGraph(filter: SpamFilter): SuffixGraph {
  return sentenceClassifierGraph(filter);
}

/** The filter cut at USE-lite's hidden dense layer ({@link sentenceClassifierEditableModel}). */
export function spamFilterEditableModel(filter: SpamFilter): EditableModel<string> {
  return sentenceClassifierEditableModel(filter);
}

/** The filter cut inside USE-lite's last block at token level ({@link sentenceClassifierTokenModel}). */
export function spamFilterTokenModel(
  filter: SpamFilter,
  options: { readonly backend?: GraceBackend; readonly batchSize?: number } = {},
): Promise<SpamFilterTokenModel> {
  return sentenceClassifierTokenModel(filter, options);
}
