import type { GraceBackend } from '../backend.js';
import { GraceEditor } from '../editing/grace-editor.js';
import { sequencePlacement } from '../editing/value-placement.js';
import { trainValue } from '../editing/value-trainer.js';
import type { EditLabel } from '../labels.js';
import { editableSequentialModel } from '../models/sequential-editable-model.js';
import { SequentialModel } from '../models/sequential-model.js';
import { SeededRandom } from '../random.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { Tensor } from '../tensor.js';
import { assertClose, assertThrowsGraceError, assertTrue } from './assertions.js';
import {
  type ConformanceCase,
  defineConformanceCase,
  type ResolvedConformanceOptions,
} from './conformance-case.js';
import { finiteDifferenceGradient } from './op-cases/finite-difference.js';
import { squashedErrorShape, squashedErrorTail } from './squashed-error-tail.js';
import { type TaggerInput, tokenTaggerModel } from './token-tagger-model.js';

/**
 * Value training for replacement `span`: vector s of the value is trained through token `keyPosition + s`
 * alone (its gradient is the suffix gradient at that token, checked against finite differences), S = 1 trains
 * what `last` trains, and on a per-token tagger a span edit fixes a per-position label that one vector cannot.
 */

const suite = 'span value training';
const [tokens, width] = squashedErrorShape;

/** The tail's loss in float64 for a span value placed at `keyPosition` over the frozen tokens. */
function hostSpanLoss(
  value: ArrayLike<number>,
  frozen: Float32Array,
  target: Float32Array,
  keyPosition: number,
): number {
  let sum = 0;
  for (let index = 0; index < frozen.length; index++) {
    const spanIndex = index - keyPosition * width;
    const activation =
      spanIndex >= 0 && spanIndex < value.length ? (value[spanIndex] as number) : (frozen[index] as number);
    sum += (Math.tanh(activation) - (target[index] as number)) ** 2;
  }
  return sum / frozen.length;
}

/** The backend's gradient of the tail's loss with respect to a span value `[vectors·Dv]` at `keyPosition`. */
async function spanGradient(
  backend: GraceBackend,
  keyPosition: number,
  value: Float32Array,
  frozen: Float32Array,
  target: Float32Array,
): Promise<Float32Array> {
  const executor = new SuffixExecutor(backend, squashedErrorTail());
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T): T => {
    owned.push(tensor);
    return tensor;
  };
  try {
    const frozenOutput = keep(backend.upload(frozen, [1, tokens, width]));
    const placement = { kind: 'span', frozenOutput, keyPosition } as const;
    const placed = sequencePlacement(backend, placement, value.length, keep);
    if (placed === undefined) throw new Error('a span placement is always a sequence placement');
    const valueTensor = keep(backend.upload(value, placed.valueShape));
    const activation = placed.activation(valueTensor);
    if (activation !== valueTensor) keep(activation);
    const result = executor.run({
      feeds: { tokens: activation, target: keep(backend.upload(target, [1, tokens, width])) },
      outputs: ['loss'],
      gradient: { of: 'loss', withRespectTo: ['tokens'] },
    });
    for (const tensor of [...result.outputs.values(), ...result.gradients.values()]) keep(tensor);
    const gradient = keep(placed.valueGradient(result.gradients.get('tokens') as Tensor<'float32'>));
    return await backend.download(gradient);
  } finally {
    for (const tensor of owned) backend.dispose(tensor);
    executor.dispose();
  }
}

/** Per-token classes that differ from `frozen` at every token from `first` on and from each neighbour. */
function relabel(frozen: readonly number[], first: number): number[] {
  const label = [...frozen];
  for (let token = first; token < label.length; token++) {
    const previous = token > first ? label[token - 1] : -1;
    label[token] = [0, 1, 2].find((tag) => tag !== frozen[token] && tag !== previous) as number;
  }
  return label;
}

export function spanTrainingCases(options: ResolvedConformanceOptions): ConformanceCase[] {
  const gradientTolerance = Math.max(options.tolerance, 1e-4);
  return [
    defineConformanceCase(
      suite,
      "each vector's gradient is the suffix gradient at its own token (finite differences)",
      async (backend) => {
        const random = new SeededRandom(17);
        const frozen = random.floats(tokens * width, -1, 1);
        const target = random.floats(tokens * width, -0.8, 0.8);
        // A span inside the row, one over the whole row (the value is the activation), one at the last token.
        for (const [keyPosition, vectors] of [
          [1, 3],
          [0, tokens],
          [tokens - 1, 1],
        ] as const) {
          const value = random.floats(vectors * width, -1.5, 1.5);
          const actual = await spanGradient(backend, keyPosition, value, frozen, target);
          const expected = finiteDifferenceGradient(
            ([input]) => [hostSpanLoss(input?.data ?? [], frozen, target, keyPosition)],
            [{ data: value, shape: [value.length] }],
            0,
            [1],
          );
          assertClose(actual, expected, gradientTolerance, `span of ${vectors} at token ${keyPosition}`);
        }
      },
    ),
    defineConformanceCase(suite, 'S = 1 trains the same value and loss curve as last', async (backend) => {
      const random = new SeededRandom(23);
      const executor = new SuffixExecutor(backend, squashedErrorTail());
      const frozenOutput = backend.upload(random.floats(tokens * width, -1, 1), [1, tokens, width]);
      const target = backend.upload(random.floats(tokens * width, -0.8, 0.8), [1, tokens, width]);
      const initialValue = random.floats(width, 0, 1);
      const keyPosition = 2;
      const train = (placement: Parameters<typeof trainValue>[0]['placement']) =>
        trainValue(
          {
            backend,
            executor,
            activationInput: 'tokens',
            lossOutput: 'loss',
            feeds: { target },
            initialValue,
            placement,
          },
          { iterations: 8 },
        );
      try {
        const span = await train({ kind: 'span', frozenOutput, keyPosition });
        const replaced = Float32Array.from({ length: tokens }, (_, token) => (token === keyPosition ? 1 : 0));
        const last = await train({ kind: 'tokens', frozenOutput, replaced });
        assertClose(span.value, last.value, options.tolerance, 'trained value');
        assertClose(span.loss, last.loss, options.tolerance, 'loss curve');
      } finally {
        for (const tensor of [frozenOutput, target]) backend.dispose(tensor);
        executor.dispose();
      }
    }),
    defineConformanceCase(
      suite,
      'a span edit fixes a per-token label that one vector cannot, through the lookup',
      async (backend) => {
        const model = tokenTaggerModel();
        const input: TaggerInput = [
          [1, 0.2],
          [-0.4, 0.9],
          [0.3, -0.8],
          [-0.9, -0.1],
        ];
        const far: TaggerInput = [
          [4, 4],
          [4, -4],
          [-4, 4],
          [3, 3],
        ];
        const settings = {
          backend,
          epsInit: 0.5,
          keyToken: { index: 1 },
          training: { iterations: 60 },
        } as const;
        const unedited = new GraceEditor(model, settings);
        const [frozen, farBefore] = (await unedited.predict([input, far])) as number[][];
        unedited.dispose();
        const label = relabel(frozen as number[], 1);
        // One vector at the key token: tokens 2 and 3 keep their frozen (wrong) tags.
        const last = new GraceEditor(model, { ...settings, replacement: 'last' });
        try {
          const result = await last.edit({ input, label });
          assertTrue(!result.fixed, `last: one vector fixed ${JSON.stringify(label)}`);
        } finally {
          last.dispose();
        }
        // Five vectors from token 1 of a 4-token row: three are trained, two lie past the row's end.
        const span = new GraceEditor(model, { ...settings, replacement: 'span', spanLength: 5 });
        try {
          assertTrue(span.codebook.valueDimension === 10, 'the codebook holds 5 vectors of Dv = 2');
          const result = await span.edit({ input, label });
          assertTrue(
            result.fixed,
            `span: the edit was not fixed (loss ${result.loss.at(0)} → ${result.loss.at(-1)})`,
          );
          const [edited, farAfter] = (await span.predict([input, far])) as EditLabel[];
          assertTrue(
            JSON.stringify(edited) === JSON.stringify(label),
            `span: predicted ${JSON.stringify(edited)}`,
          );
          assertTrue(JSON.stringify(farAfter) === JSON.stringify(farBefore), 'a far input kept its tags');
          const stored = span.codebook.valuesView().slice(0, 10);
          assertClose(
            stored.subarray(6),
            Float32Array.from([...(input[3] ?? []), ...(input[3] ?? [])]),
            0,
            'untrained vectors',
          );
        } finally {
          span.dispose();
        }
      },
    ),
    defineConformanceCase(
      suite,
      'a span of several vectors on a layer without tokens is SHAPE_MISMATCH and changes nothing',
      async (backend) => {
        const model = editableSequentialModel(
          SequentialModel.create({
            inputWidth: 2,
            layers: [{ kind: 'dense', units: 3 }],
            loss: 'softmax-cross-entropy',
            seed: 4,
          }),
          0,
        );
        const editor = new GraceEditor(model, { backend, replacement: 'span', spanLength: 2 });
        try {
          await assertThrowsGraceError(
            () => editor.edit({ input: [1, 1], label: 2 }),
            'SHAPE_MISMATCH',
            'edit',
          );
          assertTrue(
            editor.codebook.size === 0 && editor.codebook.records.length === 0,
            'the codebook changed',
          );
        } finally {
          editor.dispose();
        }
      },
    ),
  ];
}
