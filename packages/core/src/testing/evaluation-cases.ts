import { GraceEditor } from '../editing/grace-editor.js';
import { graceEditingMethod, uneditedEditingMethod } from '../evaluation/editing-method.js';
import { runLifelongProtocol } from '../evaluation/lifelong-protocol.js';
import type { EditLabel } from '../labels.js';
import { editableSequentialModel, type SequentialInput } from '../models/sequential-editable-model.js';
import { SequentialModel } from '../models/sequential-model.js';
import { SeededRandom } from '../random.js';
import { assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';

/**
 * What a user evaluates GRACE with, on a backend: prediction scores, and the lifelong protocol over an editor
 * (ES and ERR judged through the edited model's own predictions).
 */

const suite = 'evaluation';

/**
 * 2 → 8 → tanh → 4 classes, seeded, with the layers named as a user would name them. Edited at `head`, every
 * class is reachable (the value is the logits), and tanh keeps distinct inputs' keys apart.
 */
function classifier(): SequentialModel {
  return SequentialModel.create({
    inputWidth: 2,
    layers: [
      { kind: 'dense', units: 8, name: 'hidden' },
      { kind: 'tanh', name: 'tanh' },
      { kind: 'dense', units: 4, name: 'head' },
    ],
    loss: 'softmax-cross-entropy',
    seed: 9,
  });
}

export function evaluationCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  return [
    defineConformanceCase(
      suite,
      'predictWithDetails scores are softmax probabilities of the label',
      async (backend) => {
        const editor = new GraceEditor(editableSequentialModel(classifier(), 'head'), { backend });
        try {
          const inputs = [
            [0.5, -1],
            [3, 2],
            [-2, 0.25],
          ];
          const { labels, scores } = await editor.predictWithDetails(inputs);
          assertTrue(scores.kind === 'probability' && scores.classCount === 4, `scores are ${scores.kind}`);
          for (const [row, label] of labels.entries()) {
            const probabilities = Array.from(scores.classScores.subarray(row * 4, row * 4 + 4));
            const total = probabilities.reduce((sum, probability) => sum + probability, 0);
            assertTrue(
              Math.abs(total - 1) < 1e-5 + options.tolerance,
              `row ${row}: probabilities sum to ${total}`,
            );
            assertTrue(
              probabilities[label as number] === Math.max(...probabilities) &&
                scores.scores[row] === probabilities[label as number],
              `row ${row}: the score ${scores.scores[row]} is not the predicted label's probability`,
            );
          }
        } finally {
          editor.dispose();
        }
      },
    ),
    defineConformanceCase(
      suite,
      'the lifelong protocol over an editor: ES and ERR through predict',
      async (backend) => {
        const model = editableSequentialModel(classifier(), 'hidden');
        const editor = new GraceEditor(model, { backend, epsInit: 0.05, training: { iterations: 60 } });
        const reference = new GraceEditor(model, { backend });
        try {
          const random = new SeededRandom(4);
          const point = (index: number): number[] => [
            Math.cos(index) * (1 + index),
            Math.sin(index) * (1 + index),
          ];
          const base = await reference.predict(
            Array.from({ length: 12 }, (_, index) => point(index)) as SequentialInput[],
          );
          // Stream: the first 6 points with a label the model does not give (real mistakes); upstream: the rest.
          const stream = base.slice(0, 6).map((label, index) => ({
            input: point(index),
            label: ((label as number) + 1 + random.integer(0, 3)) % 4,
          }));
          const upstream = base
            .slice(6)
            .map((label, index) => ({ input: point(index + 6), label: label as EditLabel }));
          const data = { stream, upstream, holdout: [] };
          const run = await runLifelongProtocol(graceEditingMethod(editor), data, { checkpointEvery: 3 });
          const unedited = await runLifelongProtocol(
            uneditedEditingMethod<SequentialInput>((inputs) => reference.predict(inputs)),
            data,
          );
          const last = run.checkpoints.at(-1);
          assertTrue(run.checkpoints.length === 2, `${run.checkpoints.length} checkpoints, expected 2`);
          assertTrue(last?.edits === 6 && last.keys === 6, `edits ${last?.edits}, keys ${last?.keys}`);
          assertTrue(last.es === 1 && last.err === 1, `ES ${last.es}, ERR ${last.err}`);
          assertTrue(last.trr === 1, `TRR ${last.trr}: an edit moved a far upstream point`);
          assertTrue(unedited.checkpoints.at(-1)?.err === 0, 'the unedited model fixed its own mistakes');
        } finally {
          editor.dispose();
          reference.dispose();
        }
      },
    ),
  ];
}
