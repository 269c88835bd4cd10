import type { SuffixOpAttributes } from '@grace/core';
import { erf } from './erf.js';
import { fastErfc } from './fast-erfc.js';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/** The element-wise ops with one operand. */
export type UnaryOpType = 'Relu' | 'Gelu' | 'Tanh' | 'Sigmoid' | 'Sqrt' | 'Erf' | 'Identity';

/** Gelu's form: `none` is the exact erf form, `tanh` the approximation. */
type GeluForm = SuffixOpAttributes['Gelu']['approximate'];

const inverseSqrtTwoPi = 1 / Math.sqrt(2 * Math.PI);
const twoOverSqrtPi = 2 / Math.sqrt(Math.PI);
const sqrtTwoOverPi = Math.sqrt(2 / Math.PI);
const tanhFormCubic = 0.044715;

/**
 * The standard normal CDF `Φ(x) = erfc(-x/√2)/2`: erfc keeps it accurate in the left tail, where gelu ≈ 0.
 * Through {@link fastErfc}: relative error below 1.1e-7 (about two float32 ulps), one `Math.exp` per element.
 */
export function normalCdf(x: number): number {
  return 0.5 * fastErfc(-x * Math.SQRT1_2);
}

/** Gelu's erf form `x·Φ(x)`, in float64 arithmetic with {@link normalCdf}'s 1.1e-7 relative error. */
export function geluErf(x: number): number {
  return x * normalCdf(x);
}

/** `d/dx x·Φ(x) = Φ(x) + x·φ(x)`. */
export function geluErfDerivative(x: number): number {
  return normalCdf(x) + x * inverseSqrtTwoPi * Math.exp(-0.5 * x * x);
}

/** Gelu's tanh approximation `x/2 · (1 + tanh(√(2/π)·(x + 0.044715x³)))`, in float64. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(sqrtTwoOverPi * (x + tanhFormCubic * x * x * x)));
}

/** The derivative of {@link geluTanh}. */
export function geluTanhDerivative(x: number): number {
  const hyperbolic = Math.tanh(sqrtTwoOverPi * (x + tanhFormCubic * x * x * x));
  const innerDerivative = sqrtTwoOverPi * (1 + 3 * tanhFormCubic * x * x);
  return 0.5 * (1 + hyperbolic) + 0.5 * x * (1 - hyperbolic * hyperbolic) * innerDerivative;
}

/** The logistic function, without overflow: `exp` only ever sees a non-positive argument. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const exponential = Math.exp(x);
  return exponential / (1 + exponential);
}

/** `type` applied element-wise; `geluForm` matters only to Gelu. One loop per op, chosen outside it. */
export function unaryOp(
  type: UnaryOpType,
  input: HostTensor,
  geluForm: GeluForm = 'none',
): HostTensor<Float32Array> {
  const source = input.data;
  const output = new Float32Array(source.length);
  const size = output.length;
  switch (type) {
    case 'Relu':
      // Math.max keeps NaN as NaN, as ONNX's max(0, x) does.
      for (let element = 0; element < size; element++)
        output[element] = Math.max(source[element] as number, 0);
      break;
    case 'Gelu':
      if (geluForm === 'tanh') {
        for (let element = 0; element < size; element++)
          output[element] = geluTanh(source[element] as number);
      } else {
        for (let element = 0; element < size; element++) output[element] = geluErf(source[element] as number);
      }
      break;
    case 'Tanh':
      for (let element = 0; element < size; element++) output[element] = Math.tanh(source[element] as number);
      break;
    case 'Sigmoid':
      for (let element = 0; element < size; element++) output[element] = sigmoid(source[element] as number);
      break;
    case 'Sqrt':
      for (let element = 0; element < size; element++) output[element] = Math.sqrt(source[element] as number);
      break;
    case 'Erf':
      for (let element = 0; element < size; element++) output[element] = erf(source[element] as number);
      break;
    case 'Identity':
      output.set(source);
      break;
  }
  return floatTensor(output, input.shape);
}

/**
 * `dy · f'(x)`, with `f'` recomputed from the input in float64 rather than from the float32 output, so the
 * gradient is as accurate as the forward. Relu's gradient is 0 at `x <= 0` (the subgradient PyTorch and
 * ONNX Runtime use).
 */
export function unaryOpGradient(
  type: UnaryOpType,
  input: HostTensor,
  outputGradient: HostTensor,
  geluForm: GeluForm = 'none',
): HostTensor<Float32Array> {
  const source = input.data;
  const gradient = outputGradient.data;
  const result = new Float32Array(source.length);
  const size = result.length;
  for (let element = 0; element < size; element++) {
    const value = source[element] as number;
    let derivative: number;
    switch (type) {
      case 'Relu':
        derivative = value > 0 ? 1 : 0;
        break;
      case 'Gelu':
        derivative = geluForm === 'tanh' ? geluTanhDerivative(value) : geluErfDerivative(value);
        break;
      case 'Tanh': {
        const hyperbolic = Math.tanh(value);
        derivative = 1 - hyperbolic * hyperbolic;
        break;
      }
      case 'Sigmoid': {
        const logistic = sigmoid(value);
        derivative = logistic * (1 - logistic);
        break;
      }
      case 'Sqrt':
        derivative = 0.5 / Math.sqrt(value);
        break;
      case 'Erf':
        derivative = twoOverSqrtPi * Math.exp(-value * value);
        break;
      case 'Identity':
        derivative = 1;
        break;
    }
    result[element] = (gradient[element] as number) * derivative;
  }
  return floatTensor(result, input.shape);
}

/** A unary op as a {@link HostOp}; Gelu reads its form from the attributes. */
export function unaryHostOp<Type extends UnaryOpType>(type: Type): HostOp<SuffixOpAttributes[Type]> {
  const formOf = (attributes: SuffixOpAttributes[Type]): GeluForm =>
    type === 'Gelu' ? (attributes as SuffixOpAttributes['Gelu']).approximate : 'none';
  return {
    forward: (inputs, attributes) => unaryOp(type, requireInput(inputs, 0), formOf(attributes)),
    gradient: ({ inputs, outputGradient, attributes, needed }) =>
      neededGradients(needed, 1, () =>
        unaryOpGradient(type, requireInput(inputs, 0), outputGradient, formOf(attributes)),
      ),
  };
}
