import { broadcastIndexMap, broadcastShapes, type SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import { sumToShape } from './sum-to-shape.js';

/** The broadcast output shape and, per output element, the element of each input it reads. */
function layoutOf(inputs: readonly HostTensor[]): { shape: number[]; indices: Int32Array[] } {
  const shape = broadcastShapes(...inputs.map((input) => input.shape));
  return { shape, indices: inputs.map((input) => broadcastIndexMap(input.shape, shape)) };
}

/**
 * ONNX Where as a {@link HostOp}: `condition ? X : Y` (a float condition, true where non-zero), all three
 * broadcast. X's gradient is the output gradient where the condition holds, Y's where it does not, each summed
 * back to its shape; the condition gets a zero gradient (a selector).
 */
export const whereOp: HostOp<SuffixOpAttributes['Where']> = {
  forward(inputs) {
    const [condition, whenTrue, whenFalse] = [0, 1, 2].map((index) => requireInput(inputs, index)) as [
      HostTensor,
      HostTensor,
      HostTensor,
    ];
    const { shape, indices } = layoutOf([condition, whenTrue, whenFalse]);
    const [conditionIndex, trueIndex, falseIndex] = indices as [Int32Array, Int32Array, Int32Array];
    const output = new Float32Array(conditionIndex.length);
    for (let element = 0; element < output.length; element++)
      output[element] =
        condition.data[conditionIndex[element] as number] !== 0
          ? (whenTrue.data[trueIndex[element] as number] as number)
          : (whenFalse.data[falseIndex[element] as number] as number);
    return floatTensor(output, shape);
  },
  gradient({ inputs, outputGradient, needed }) {
    const present = [0, 1, 2].map((index) => requireInput(inputs, index));
    const { shape, indices } = layoutOf(present);
    const conditionIndex = indices[0] as Int32Array;
    const condition = (present[0] as HostTensor).data;
    return neededGradients(needed, 3, (index) => {
      const input = present[index] as HostTensor;
      if (index === 0) return floatTensor(new Float32Array(input.data.length), input.shape);
      const selected = new Float64Array(outputGradient.data.length);
      for (let element = 0; element < selected.length; element++) {
        const holds = condition[conditionIndex[element] as number] !== 0;
        if (holds === (index === 1)) selected[element] = outputGradient.data[element] as number;
      }
      return floatTensor(sumToShape(selected, shape, input.shape), input.shape);
    });
  },
};

/** ONNX IsNaN as a {@link HostOp}: a float 0/1 mask; zero gradient. */
export const isNaNOp: HostOp<SuffixOpAttributes['IsNaN']> = {
  forward(inputs) {
    const input = requireInput(inputs, 0);
    return floatTensor(
      Float32Array.from(input.data, (value) => (Number.isNaN(value) ? 1 : 0)),
      input.shape,
    );
  },
  gradient({ inputs, needed }) {
    const input = requireInput(inputs, 0);
    return neededGradients(needed, 1, () => floatTensor(new Float32Array(input.data.length), input.shape));
  },
};
