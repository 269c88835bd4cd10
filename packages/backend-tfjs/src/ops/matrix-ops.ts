import type { SuffixOpAttributes } from '@grace/core';
import type { TensorFlow, TfTensor } from '../tensorflow.js';
import { type ExplicitOp, neededOnly } from './explicit-op.js';
import { inputAt, matMulForward } from './op-forward.js';
import { sumToShape } from './sum-to-shape.js';

/**
 * MatMul and Gemm with hand-written gradients. Value training multiplies the output gradient by each frozen
 * weight matrix transposed, 100 times per edit; tfjs's `matMul` with a transpose flag is several times slower
 * on wasm than on a transposed copy, so the transpose of a weight is made once and cached on its handle
 * (`access.transposed`), and Gemm's `transB` forward uses the same copy. Everything else (batched MatMul with
 * a rank > 2 right operand) is differentiated by `tf.grads`.
 */

/** `[..., M, K]` seen as `[rows, K]`. */
function asMatrix(tf: TensorFlow, tensor: TfTensor): TfTensor {
  const width = tensor.shape[tensor.rank - 1] as number;
  return tensor.rank === 2 ? tensor : tf.reshape(tensor, [-1, width]);
}

const matMul: ExplicitOp<SuffixOpAttributes['MatMul']> = {
  forward: (tf, inputs, _attributes, outputShape) => {
    const left = inputAt(inputs, 0);
    const right = inputAt(inputs, 1);
    if (right.rank !== 2) return matMulForward(tf, left, right);
    return tf.reshape(tf.matMul(asMatrix(tf, left), right), [...outputShape]);
  },
  gradient: (tf, { inputs, outputGradient, needed, access }) => {
    const left = inputAt(inputs, 0);
    const right = inputAt(inputs, 1);
    if (right.rank !== 2) {
      const gradients = tf.grads((a: TfTensor, b: TfTensor) => matMulForward(tf, a, b))(
        [tf.clone(left), tf.clone(right)],
        outputGradient,
      );
      return neededOnly(needed, 2, (index) => gradients[index]);
    }
    // [..., M, N] → [rows, N]; dA = dY · Bᵀ, dB = Aᵀ · dY.
    const rowsGradient = asMatrix(tf, outputGradient);
    return neededOnly(needed, 2, (index) =>
      index === 0
        ? tf.reshape(tf.matMul(rowsGradient, access.transposed(1)), left.shape)
        : tf.matMul(asMatrix(tf, left), rowsGradient, true, false),
    );
  },
};

const gemm: ExplicitOp<SuffixOpAttributes['Gemm']> = {
  forward: (tf, inputs, attributes, _outputShape, access) => {
    const { alpha, beta, transA, transB } = attributes;
    const right = transB ? access.transposed(1) : inputAt(inputs, 1);
    const product = tf.matMul(inputAt(inputs, 0), right, transA, false);
    const scaled = alpha === 1 ? product : tf.mul(product, alpha);
    const bias = inputs[2];
    if (bias === undefined) return scaled;
    return tf.add(scaled, beta === 1 ? bias : tf.mul(bias, beta));
  },
  gradient: (tf, { inputs, outputGradient, attributes, needed, access }) => {
    const { alpha, beta, transA, transB } = attributes;
    const left = inputAt(inputs, 0);
    const right = inputAt(inputs, 1);
    const scale = (tensor: TfTensor, factor: number): TfTensor =>
      factor === 1 ? tensor : tf.mul(tensor, factor);
    return neededOnly(needed, 3, (index) => {
      if (index === 0) {
        // op(B)ᵀ is B itself under transB, else its cached transpose.
        const rightTransposed = transB ? right : access.transposed(1);
        const product = transA
          ? tf.matMul(rightTransposed, outputGradient, true, true)
          : tf.matMul(outputGradient, rightTransposed);
        return scale(product, alpha);
      }
      if (index === 1) {
        const product = transB
          ? tf.matMul(outputGradient, left, true, transA)
          : tf.matMul(left, outputGradient, !transA, false);
        return scale(product, alpha);
      }
      const bias = inputs[2];
      return bias === undefined ? undefined : scale(sumToShape(tf, outputGradient, bias.shape), beta);
    });
  },
};

export const matrixOps = { MatMul: matMul, Gemm: gemm };
