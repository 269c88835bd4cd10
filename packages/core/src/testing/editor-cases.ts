import type { GraceBackend } from '../backend.js';
import type { EditableModel } from '../editing/editable-model.js';
import { GraceEditor } from '../editing/grace-editor.js';
import { GraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import { editableSequentialModel, type SequentialInput } from '../models/sequential-editable-model.js';
import { SequentialModel } from '../models/sequential-model.js';
import { assertThrowsGraceError, assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { trackTensors } from './tensor-tracker.js';
import { identityTokensPrefix } from './token-tagger-model.js';

/**
 * GRACE editing end to end on a backend: values trained through a frozen suffix fix the edited input, leave
 * far inputs alone, roll back, fail cleanly, work for sequence layers, and leak nothing.
 */

const suite = 'grace editing';

/** A small untrained classifier: 2 → 6 → ReLU → 3 classes. Random weights make real, stable mistakes. */
function smallClassifier(): SequentialModel {
  return SequentialModel.create({
    inputWidth: 2,
    layers: [{ kind: 'dense', units: 6 }, { kind: 'relu' }, { kind: 'dense', units: 3 }],
    loss: 'softmax-cross-entropy',
    seed: 3,
  });
}

/** A label other than `label` among three classes. */
function otherClass(label: EditLabel): number {
  return ((label as number) + 1) % 3;
}

/**
 * A sequence model: the edited layer is an identity over `[B, T, 2]` tokens; the suffix averages the tokens
 * and classifies them into 3 classes. With `last` replacement, an edit's value replaces the last token.
 */
function sequenceModel(): EditableModel<readonly (readonly number[])[]> {
  const width = 2;
  return {
    layerId: 'tokens',
    keyDimension: width,
    valueDimension: width,
    activationInput: 'tokens',
    targetInput: 'target',
    predictionOutput: 'logits',
    lossOutput: 'loss',
    suffix: {
      inputs: [
        { name: 'tokens', dtype: 'float32', shape: ['batch', 'length', width] },
        { name: 'target', dtype: 'int32', shape: ['batch'] },
      ],
      initializers: [{ name: 'W', data: new Float32Array([1, -1, 0.5, 0.5, 1, -1]), shape: [width, 3] }],
      nodes: [
        {
          name: 'pool',
          opType: 'ReduceMean',
          inputs: ['tokens'],
          outputs: ['pooled'],
          attributes: { axes: [1], keepdims: 0 },
        },
        { name: 'head', opType: 'Gemm', inputs: ['pooled', 'W'], outputs: ['logits'] },
        { name: 'loss', opType: 'SoftmaxCrossEntropyLoss', inputs: ['logits', 'target'], outputs: ['loss'] },
      ],
      outputs: ['logits', 'loss'],
    },
    runPrefix: identityTokensPrefix(width),
    encodeTargets: (backend, labels) => backend.upload(Int32Array.from(labels as number[]), [labels.length]),
    decodePredictions: (prediction, shape) =>
      Array.from({ length: shape[0] as number }, (_, row) => {
        const logits = Array.from(prediction.subarray(row * 3, row * 3 + 3));
        return logits.indexOf(Math.max(...logits));
      }),
  };
}

export function editorCases(_options: ResolvedConformanceOptions): ConformanceCase[] {
  const near: SequentialInput = [1, 1];
  const far: SequentialInput = [-3, 4];
  return [
    defineConformanceCase(
      suite,
      'an edit fixes its input, far inputs keep their predictions, rollback restores',
      async (backend) => {
        for (const editLayer of [0, 2]) {
          const editor = new GraceEditor(editableSequentialModel(smallClassifier(), editLayer), {
            backend,
            epsInit: 0.5,
            training: { iterations: 40 },
          });
          try {
            const before = await editor.predict([near, far]);
            const label = otherClass(before[0] as EditLabel);
            const result = await editor.edit({ input: near, label });
            assertTrue(
              result.operation === 'ADD',
              `layer ${editLayer}: the first edit should ADD, made ${result.operation}`,
            );
            assertTrue(
              result.fixed,
              `layer ${editLayer}: the edit was not fixed (loss ${result.loss.at(0)} → ${result.loss.at(-1)})`,
            );
            assertTrue(
              (result.loss.at(-1) as number) < (result.loss.at(0) as number),
              `layer ${editLayer}: the loss did not fall`,
            );
            const after = await editor.predictWithDetails([near, far]);
            assertTrue(
              after.labels[0] === label,
              `layer ${editLayer}: predicted ${String(after.labels[0])}, edited to ${label}`,
            );
            assertTrue(
              after.keyIndices[0] === 0 && after.keyIndices[1] === -1,
              `layer ${editLayer}: wrong keys fired`,
            );
            assertTrue(
              after.labels[1] === before[1],
              `layer ${editLayer}: the far input's prediction changed`,
            );
            editor.rollback(result.record.id);
            const rolledBack = await editor.predict([near, far]);
            assertTrue(
              rolledBack[0] === before[0] && rolledBack[1] === before[1],
              `layer ${editLayer}: rollback did not restore`,
            );
          } finally {
            editor.dispose();
          }
        }
      },
    ),

    defineConformanceCase(
      suite,
      'a failed training leaves the codebook exactly as it was',
      async (backend) => {
        const model = editableSequentialModel(smallClassifier(), 0);
        const failing: EditableModel<SequentialInput> = {
          ...model,
          encodeTargets: () => {
            throw new GraceError('INVALID_ARGUMENT', 'targets refused on purpose');
          },
        };
        const editor = new GraceEditor(failing, { backend, training: { iterations: 5 } });
        try {
          editor.codebook.applyEdit({ query: [5, 5], label: 1 });
          const before = editor.codebook.snapshot();
          await assertThrowsGraceError(
            () => editor.edit({ input: [5.1, 5], label: 2 }),
            'INVALID_ARGUMENT',
            'the failing edit',
          );
          const after = editor.codebook.snapshot();
          assertTrue(
            after.radii.length === before.radii.length && after.radii[0] === before.radii[0],
            'the codebook changed',
          );
          assertTrue(editor.codebook.records.length === 1, 'a record was kept for the failed edit');
        } finally {
          editor.dispose();
        }
      },
    ),

    defineConformanceCase(
      suite,
      'trains a value for a sequence layer where the replacement mode puts it',
      async (backend) => {
        for (const replacement of ['last', 'all'] as const) {
          const editor = new GraceEditor(sequenceModel(), {
            backend,
            replacement,
            training: { iterations: 60 },
          });
          try {
            const tokens = [
              [0, 0],
              [1, 0],
              [0, 1],
            ];
            const [before] = await editor.predict([tokens]);
            const label = otherClass(before as EditLabel);
            const result = await editor.edit({ input: tokens, label });
            assertTrue(result.fixed, `${replacement}: the edit was not fixed`);
            const [after] = await editor.predict([tokens]);
            assertTrue(
              after === label,
              `${replacement}: predicted ${String(after)} after editing to ${label}`,
            );
          } finally {
            editor.dispose();
          }
        }
      },
    ),

    defineConformanceCase(
      suite,
      'regression: the same input edited to class 0, then class 2, predicts 2 (halve and keep)',
      async (backend) => {
        for (const splitPolicy of ['halve', 'keep'] as const) {
          const editor = new GraceEditor(editableSequentialModel(smallClassifier(), 0), {
            backend,
            epsInit: 0.5,
            splitPolicy,
            training: { iterations: 40 },
          });
          try {
            const first = await editor.edit({ input: near, label: 0 });
            const second = await editor.edit({ input: near, label: 2 });
            const [predicted] = await editor.predict([near]);
            assertTrue(
              predicted === 2,
              `${splitPolicy}: predicted ${String(predicted)} after the newer edit`,
            );
            assertTrue(second.fixed && second.firedKey === 0, `${splitPolicy}: the newer edit is not fixed`);
            assertTrue(
              second.record.supersededKey === 0 && editor.codebook.size === 1,
              `${splitPolicy}: the older key was not superseded in place (${editor.codebook.size} keys)`,
            );
            editor.rollback(second.record.id);
            const [restored] = await editor.predict([near]);
            assertTrue(
              !first.fixed || restored === 0,
              `${splitPolicy}: rolling back the newer edit gave ${String(restored)}, not the older 0`,
            );
          } finally {
            editor.dispose();
          }
        }
      },
    ),
    defineConformanceCase(suite, 'leaks no tensor over edits and predictions', async (inner) => {
      const tracked = trackTensors(inner);
      const editor = new GraceEditor(editableSequentialModel(smallClassifier(), 0), {
        backend: tracked.backend as GraceBackend,
        training: { iterations: 5, earlyStop: true },
      });
      try {
        await editor.predict([near, far]);
        const baseline = tracked.live();
        for (let round = 0; round < 3; round++) {
          await editor.edit({ input: [round, 1], label: round % 3 });
          await editor.predict([near, far]);
        }
        // The layer holds one upload of the codebook (3 tensors) before and after: re-uploads replace it.
        assertTrue(tracked.live() === baseline, `${tracked.live() - baseline} tensors leaked`);
      } finally {
        editor.dispose();
      }
    }),
  ];
}
