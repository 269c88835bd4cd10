import {
  broadcastShapes,
  broadcastStrides,
  type OpKernel,
  type Shape,
  type SuffixOpAttributes,
  shapeSize,
  shapesEqual,
} from '@grace/core';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { mapProgram, runMap, sumToShape } from './op-programs.js';

/** The element-wise ops with one operand. */
export type UnaryOpType = 'Relu' | 'Gelu' | 'Tanh' | 'Sigmoid' | 'Sqrt' | 'Erf' | 'Identity';
/** The element-wise ops with two broadcast operands. */
export type BinaryOpType = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

/**
 * WGSL math the element-wise ops share. `tanh` is clamped (|x| >= 15 is ±1 in float32) because some drivers
 * compute it as a ratio of exponentials that overflows to NaN; `erfc` is Abramowitz and Stegun's 7.1.26
 * rational approximation (absolute error below 1.5e-7), accurate enough for float32 Gelu; `powSigned` gives a
 * negative base with an integer exponent its real value, as ONNX Pow does.
 */
const mathHelpers = `
fn safeTanh(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }
fn logistic(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn erfcNonNegative(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * exp(-z * z);
}
fn normalCdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let tail = 0.5 * erfcNonNegative(z);
  if (x >= 0.0) { return 1.0 - tail; }
  return tail;
}
fn erfSigned(x: f32) -> f32 {
  let magnitude = 1.0 - erfcNonNegative(abs(x));
  if (x < 0.0) { return -magnitude; }
  return magnitude;
}
fn geluTanhInner(x: f32) -> f32 { return 0.7978845608028654 * (x + 0.044715 * x * x * x); }
fn powSigned(base: f32, exponent: f32) -> f32 {
  if (base > 0.0) { return pow(base, exponent); }
  if (base == 0.0) {
    if (exponent > 0.0) { return 0.0; }
    if (exponent == 0.0) { return 1.0; }
    return floatFromBits(0x7f800000u);
  }
  if (round(exponent) != exponent) { return floatFromBits(0x7fc00000u); }
  let magnitude = pow(-base, exponent);
  if (abs(exponent % 2.0) == 1.0) { return -magnitude; }
  return magnitude;
}
`;

/** `f(x)` per op, with `x` the input element. */
const unaryForward: Record<UnaryOpType | 'GeluTanh', string> = {
  Relu: 'max(x, 0.0)',
  Gelu: 'x * normalCdf(x)',
  GeluTanh: '0.5 * x * (1.0 + safeTanh(geluTanhInner(x)))',
  Tanh: 'safeTanh(x)',
  Sigmoid: 'logistic(x)',
  Sqrt: 'sqrt(x)',
  Erf: 'erfSigned(x)',
  Identity: 'x',
};

/** `f'(x)` per op, recomputed from the input. */
const unaryDerivative: Record<UnaryOpType | 'GeluTanh', string> = {
  Relu: 'select(0.0, 1.0, x > 0.0)',
  Gelu: 'normalCdf(x) + x * 0.3989422804014327 * exp(-0.5 * x * x)',
  GeluTanh: `0.5 * (1.0 + safeTanh(geluTanhInner(x)))
    + 0.5 * x * (1.0 - safeTanh(geluTanhInner(x)) * safeTanh(geluTanhInner(x)))
      * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x)`,
  Tanh: '1.0 - safeTanh(x) * safeTanh(x)',
  Sigmoid: 'logistic(x) * (1.0 - logistic(x))',
  Sqrt: '0.5 / sqrt(x)',
  Erf: '1.1283791670955126 * exp(-x * x)',
  Identity: '1.0',
};

function unaryForm(type: UnaryOpType, attributes: unknown): UnaryOpType | 'GeluTanh' {
  return type === 'Gelu' && (attributes as SuffixOpAttributes['Gelu']).approximate === 'tanh'
    ? 'GeluTanh'
    : type;
}

/** A unary op's forward and VJP as one-thread-per-element programs. */
export function unaryKernel<Type extends UnaryOpType>(
  context: WebGpuContext,
  type: Type,
): OpKernel<SuffixOpAttributes[Type]> {
  return {
    forward(inputs, attributes, outputShape) {
      const source = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input`);
      const form = unaryForm(type, attributes);
      const program = mapProgram({
        shaderKey: `op/${form}/forward`,
        inputs: ['source'],
        declarations: mathHelpers,
        body: `  let x = source[index];\n  result[index] = ${unaryForward[form]};`,
      });
      const result = context.allocate('float32', outputShape);
      runMap(context, program, [source.buffer, result.buffer], result.size);
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      if (!needed[0]) return [undefined];
      const source = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input`);
      const gradient = context.read(outputGradient, `${type} output gradient`);
      const form = unaryForm(type, attributes);
      const program = mapProgram({
        shaderKey: `op/${form}/gradient`,
        inputs: ['source', 'outputGradient'],
        declarations: mathHelpers,
        body: `  let x = source[index];\n  result[index] = outputGradient[index] * (${unaryDerivative[form]});`,
      });
      const result = context.allocate('float32', source.shape);
      runMap(context, program, [source.buffer, gradient.buffer, result.buffer], result.size);
      return [result];
    },
  };
}

const binaryForward: Record<BinaryOpType, string> = {
  Add: 'l + r',
  Sub: 'l - r',
  Mul: 'l * r',
  Div: 'l / r',
  Pow: 'powSigned(l, r)',
};

/**
 * Per-element gradient of each operand (`g` the output gradient), before summing back over broadcast axes.
 * Pow follows PyTorch where the formula is 0·∞: no base gradient at exponent 0, no exponent gradient at base 0.
 */
const binaryGradient: Record<BinaryOpType, readonly [string, string]> = {
  Add: ['g', 'g'],
  Sub: ['g', '-g'],
  Mul: ['g * r', 'g * l'],
  Div: ['g / r', '(-g * (l / r)) / r'],
  Pow: [
    'select(g * r * powSigned(l, r - 1.0), 0.0, r == 0.0)',
    'select(g * powSigned(l, r) * log(l), 0.0, l == 0.0 && r >= 0.0)',
  ],
};

/** params after the count: [rank, shape[rank], leftStrides[rank], rightStrides[rank]]. */
function broadcastParams(left: Shape, right: Shape, shape: Shape): number[] {
  return [shape.length, ...shape, ...broadcastStrides(left, shape), ...broadcastStrides(right, shape)];
}

const operandReads = `
  let rank = params[1];
  let l = left[stridedOffset(index, rank, 2u, 2u + rank)];
  let r = right[stridedOffset(index, rank, 2u, 2u + 2u * rank)];`;

/** A broadcasting binary op: forward in one program; each needed gradient per element, then summed back. */
export function binaryKernel<Type extends BinaryOpType>(
  context: WebGpuContext,
  type: Type,
): OpKernel<SuffixOpAttributes[Type]> {
  return {
    forward(inputs, _attributes, outputShape) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input 0`);
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, `${type} input 1`);
      const program = mapProgram({
        shaderKey: `op/${type}/forward`,
        inputs: ['left', 'right'],
        declarations: mathHelpers,
        body: `${operandReads}\n  result[index] = ${binaryForward[type]};`,
      });
      const result = context.allocate('float32', outputShape);
      runMap(context, program, [left.buffer, right.buffer, result.buffer], result.size, (params) =>
        params.u32(...broadcastParams(left.shape, right.shape, outputShape)),
      );
      return result;
    },
    gradient({ inputs, outputGradient, needed }) {
      const left = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input 0`);
      const right = context.read(inputs[1] as WebGpuTensor<'float32'>, `${type} input 1`);
      const gradient = context.read(outputGradient, `${type} output gradient`);
      const shape = broadcastShapes(left.shape, right.shape);
      return [left, right].map((operand, position) => {
        if (!needed[position]) return undefined;
        const program = mapProgram({
          shaderKey: `op/${type}/gradient${position}`,
          inputs: ['left', 'right', 'outputGradient'],
          declarations: mathHelpers,
          body: `${operandReads}\n  let g = outputGradient[index];\n  result[index] = ${binaryGradient[type][position]};`,
        });
        const full = context.allocate('float32', shape);
        runMap(
          context,
          program,
          [left.buffer, right.buffer, gradient.buffer, full.buffer],
          shapeSize(shape),
          (params) => params.u32(...broadcastParams(left.shape, right.shape, shape)),
        );
        if (shapesEqual(operand.shape, shape)) return full;
        const summed = sumToShape(context, full.buffer, shape, operand.shape);
        context.recycle(full.release() as GPUBuffer);
        return summed;
      });
    },
  };
}
