import type { OpDefinition } from '../op-definition.js';
import type { Dimension } from '../suffix-graph.js';
import { factorSymbolicSize, formatSymbolicShape } from '../symbolic-shape.js';
import { NodeReader } from './node-reader.js';

/** The names of `names` left once each of `removed` has been taken out once (multiset difference). */
function withoutNames(names: readonly string[], removed: readonly string[]): string[] {
  const rest = [...names];
  for (const name of removed) {
    const position = rest.indexOf(name);
    if (position >= 0) rest.splice(position, 1);
  }
  return rest;
}

/**
 * ONNX Reshape with the target as an attribute `shape` (importers turn the constant shape input into it):
 * `0` copies the input's dimension at that position, one `-1` takes what is left. The kernel gets no
 * attributes, only the output shape resolved here.
 *
 * With symbolic input dimensions the sizes are compared by cancelling names: `[batch, tokens, 8]` to
 * `[0, 0, 2, -1]` infers 4, because `batch` and `tokens` are copied through. When names do not cancel, a `-1`
 * becomes a fresh name `<node>:inferred` and the check waits for run time.
 */
export const reshapeDefinition: OpDefinition<'Reshape'> = {
  type: 'Reshape',
  minimumInputs: 1,
  maximumInputs: 1,
  integerInputs: [],
  resolve(context) {
    const reader = new NodeReader(context, 'Reshape');
    reader.allowAttributes(['shape', 'allowzero']);
    if (reader.flag('allowzero', false)) {
      throw reader.error(
        'UNSUPPORTED_OP',
        'allowzero = 1 (a 0 in shape meaning an empty dimension) is not supported; only 0 = copy',
      );
    }
    const target = reader.integers('shape');
    if (target === undefined) {
      throw reader.error(
        'INVALID_ARGUMENT',
        "attribute 'shape' is required (the importer turns Reshape's constant shape input into it)",
      );
    }
    const input = reader.shape(0, 'data');
    const output: Dimension[] = [];
    let inferredAxis = -1;
    target.forEach((value, position) => {
      if (value === 0) {
        if (position >= input.length) {
          throw reader.error(
            'INVALID_ARGUMENT',
            `shape [${target.join(',')}] copies dimension ${position} (0) but the input ` +
              `${formatSymbolicShape(input)} has rank ${input.length}`,
            { attribute: 'shape', value: target },
          );
        }
        output.push(input[position] as Dimension);
      } else if (value === -1) {
        if (inferredAxis >= 0) {
          throw reader.error('INVALID_ARGUMENT', `shape [${target.join(',')}] has more than one -1`, {
            attribute: 'shape',
            value: target,
          });
        }
        inferredAxis = position;
        output.push(1);
      } else if (value < -1) {
        throw reader.error('INVALID_ARGUMENT', `shape [${target.join(',')}] has a negative entry ${value}`, {
          attribute: 'shape',
          value: target,
        });
      } else {
        output.push(value);
      }
    });
    const inputSize = factorSymbolicSize(input);
    const outputSize = factorSymbolicSize(output);
    const namesCancel = withoutNames(inputSize.names, outputSize.names).length === 0;
    const mismatch = (): never => {
      throw reader.error(
        'SHAPE_MISMATCH',
        `cannot reshape ${formatSymbolicShape(input)} to [${target.join(',')}]: the sizes differ`,
        { shape: input, target },
      );
    };
    if (!namesCancel) {
      if (inferredAxis >= 0) output[inferredAxis] = `${context.nodeName}:inferred`;
    } else if (inferredAxis >= 0) {
      if (outputSize.known === 0 || inputSize.known % outputSize.known !== 0) mismatch();
      output[inferredAxis] = inputSize.known / outputSize.known;
    } else if (inputSize.known !== outputSize.known) {
      mismatch();
    }
    return { attributes: {}, outputShape: output };
  },
};
