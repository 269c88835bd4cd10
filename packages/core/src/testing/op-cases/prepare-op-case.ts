import { GraceError } from '../../errors.js';
import { SeededRandom } from '../../random.js';
import { opDefinitions } from '../../suffix/op-definitions.js';
import type { SuffixOpAttributes, SuffixOpType } from '../../suffix/op-types.js';
import { isConcreteShape } from '../../suffix/symbolic-shape.js';
import { type DType, formatShape, type Shape, shapeSize } from '../../tensor.js';
import type { ReferenceArray } from '../reference-kernels.js';
import type { OpCaseLabelsInput, OpCaseSpec, OpInputValues } from './op-case-table.js';

/** Host data of one input of a prepared case. */
export interface OpCaseHostInput {
  readonly data: Float32Array | Int32Array;
  readonly shape: Shape;
}

/** A table row made concrete: seeded input data, and core's resolution of the node. */
export interface PreparedOpCase<Op extends SuffixOpType = SuffixOpType> {
  readonly spec: OpCaseSpec;
  readonly type: Op;
  /** `undefined` for an absent optional input. */
  readonly inputs: readonly (OpCaseHostInput | undefined)[];
  readonly attributes: SuffixOpAttributes[Op];
  readonly outputShape: Shape;
}

const valueRanges: Record<
  Exclude<OpInputValues, 'awayFromZero' | 'flags' | 'withNaN'>,
  readonly [number, number]
> = {
  signed: [-2, 2],
  wide: [-6, 6],
  positive: [0.5, 2],
  tiny: [-0.01, 0.01],
  unit: [0, 1],
};

function drawFloats(random: SeededRandom, count: number, values: OpInputValues): Float32Array {
  if (values === 'awayFromZero') {
    return Float32Array.from(
      { length: count },
      () => (random.next() < 0.5 ? -1 : 1) * random.uniform(0.1, 2),
    );
  }
  if (values === 'flags') return Float32Array.from({ length: count }, () => (random.next() < 0.5 ? 0 : 1));
  if (values === 'withNaN') {
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    return Float32Array.from(random.floats(count, -2, 2), (value, index) =>
      index % 3 === 1 ? (specials[((index - 1) / 3) % 3] as number) : value,
    );
  }
  const [minimum, maximum] = valueRanges[values];
  return random.floats(count, minimum, maximum);
}

function drawLabels(random: SeededRandom, input: OpCaseLabelsInput): Int32Array {
  const { classes, ignoredRows = [], ignoredLabel = -100 } = input.labels;
  // Rows not listed as ignored must count, so when the ignored label is a class id they draw around it.
  const excluded = ignoredLabel >= 0 && ignoredLabel < classes;
  const labels = random.integers(shapeSize(input.shape), 0, excluded ? classes - 1 : classes);
  if (excluded) {
    for (let row = 0; row < labels.length; row++) {
      if ((labels[row] as number) >= ignoredLabel) labels[row] = (labels[row] as number) + 1;
    }
  }
  for (const row of ignoredRows) labels[row] = ignoredLabel;
  return labels;
}

/** A stable 32-bit seed per case (FNV-1a of its op and name), so each case draws the same data every run. */
function seedOf(spec: OpCaseSpec): number {
  let hash = 0x811c9dc5;
  for (const character of `${spec.op}/${spec.name}`) {
    hash = Math.imul(hash ^ (character.codePointAt(0) as number), 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Draws a case's inputs and resolves its node through core's op definition, the same `resolve` the executor
 * calls, so the kernels are checked with exactly the attributes and output shapes they get in a real graph.
 */
export function prepareOpCase(spec: OpCaseSpec): PreparedOpCase {
  const random = new SeededRandom(seedOf(spec));
  const inputs = spec.inputs.map((input): OpCaseHostInput | undefined => {
    if (input === null) return undefined;
    if ('labels' in input) return { data: drawLabels(random, input), shape: input.shape };
    return { data: drawFloats(random, shapeSize(input.shape), input.values ?? 'signed'), shape: input.shape };
  });
  const definition = opDefinitions[spec.op];
  const resolved = definition.resolve({
    nodeName: `${spec.op} case '${spec.name}'`,
    inputShapes: inputs.map((input) => input?.shape),
    inputDtypes: inputs.map((input): DType | undefined =>
      input === undefined ? undefined : input.data instanceof Int32Array ? 'int32' : 'float32',
    ),
    attributes: spec.attributes ?? {},
  });
  if (!isConcreteShape(resolved.outputShape)) {
    throw new GraceError('SHAPE_MISMATCH', `case '${spec.name}': output shape is not concrete`, {
      outputShape: resolved.outputShape,
    });
  }
  return {
    spec,
    type: spec.op,
    inputs,
    attributes: resolved.attributes,
    outputShape: resolved.outputShape,
  } as PreparedOpCase;
}

/** The inputs as the reference reads them (the same float32 values, read as float64). */
export function referenceInputs(prepared: PreparedOpCase): (ReferenceArray | undefined)[] {
  return prepared.inputs.map((input) =>
    input === undefined ? undefined : { data: input.data, shape: input.shape },
  );
}

/** `[2,3] x [3]`-style summary of a case's input shapes, for messages. */
export function describeInputs(prepared: PreparedOpCase): string {
  return prepared.inputs
    .map((input) => (input === undefined ? 'absent' : formatShape(input.shape)))
    .join(', ');
}
