import { GraceError, type LinearLayerWeights } from '@grace/core';
import { nodeName } from './cut-onnx-model.js';
import type { OnnxEditableModel } from './load-onnx-model.js';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { constantNodeValue, nodeAttributes, type StaticValue, tensorToStaticValue } from './static-value.js';

/**
 * The edited layer's own weights, as core's `layerFineTuningMethod` takes them: `weight` `[Dk, Dv]` and `bias`
 * `[Dv]` such that `output = input · weight + bias` (a Gemm's `alpha`, `beta` and `transB` folded in; a MatMul has
 * no bias). They are read from the model's initializers (or `Constant` nodes), so continual fine-tuning of the
 * layer GRACE edits starts from exactly the deployed model.
 *
 * @throws GraceError `UNSUPPORTED_OP` when the layer's weight or bias is computed at run time rather than stored,
 * the Gemm transposes its input (`transA`), or the bias is not a `[Dv]` (or `[1, Dv]`, or scalar) tensor.
 */
export function editedLayerWeights(model: OnnxEditableModel): LinearLayerWeights {
  const { editPoint } = model.cut;
  const graph = model.cut.model.proto.graph;
  const node = (graph?.node ?? []).find(
    (candidate) => nodeName(candidate) === editPoint.name,
  ) as OnnxNodeProto;
  const stored = (name: string | undefined, role: string): StaticValue & { kind: 'float' } => {
    const initializer = graph?.initializer?.find((tensor) => tensor.name === name);
    const constant = graph?.node?.find(
      (candidate) => candidate.opType === 'Constant' && candidate.output?.[0] === name,
    );
    const value =
      initializer !== undefined && initializer !== null
        ? tensorToStaticValue(initializer, `${editPoint.name} ${role}`)
        : constant === undefined
          ? undefined
          : constantNodeValue(constant);
    if (value?.kind !== 'float')
      throw new GraceError(
        'UNSUPPORTED_OP',
        `the ${role} of ${editPoint.name} ('${name}') is not a stored float tensor, so it cannot be fine-tuned`,
        { layer: editPoint.name, tensor: name },
      );
    return value;
  };
  const attributes = nodeAttributes(node);
  const number = (name: string, fallback: number) => {
    const value = attributes.get(name);
    return typeof value === 'number' ? value : fallback;
  };
  if (number('transA', 0) !== 0)
    throw new GraceError('UNSUPPORTED_OP', `${editPoint.name} transposes its input (transA)`, {
      layer: editPoint.name,
    });
  const { keyDimension: inner, valueDimension: outer } = model;
  const matrix = stored(node.input?.[1], 'weight');
  if (matrix.data.length !== inner * outer)
    throw new GraceError('UNSUPPORTED_OP', `the weight of ${editPoint.name} is not [${inner}, ${outer}]`, {
      layer: editPoint.name,
      shape: matrix.shape,
    });
  const transposed = node.opType === 'Gemm' && number('transB', 0) !== 0;
  const alpha = node.opType === 'Gemm' ? number('alpha', 1) : 1;
  const weight = new Float32Array(inner * outer);
  for (let row = 0; row < inner; row++) {
    for (let column = 0; column < outer; column++) {
      const source = transposed ? column * inner + row : row * outer + column;
      weight[row * outer + column] = alpha * (matrix.data[source] as number);
    }
  }
  const biasName = node.opType === 'Gemm' ? node.input?.[2] : undefined;
  if (biasName === undefined || biasName === '') return { weight };
  const bias = stored(biasName, 'bias');
  const beta = number('beta', 1);
  if (bias.data.length !== outer && bias.data.length !== 1)
    throw new GraceError('UNSUPPORTED_OP', `the bias of ${editPoint.name} is not [${outer}]`, {
      layer: editPoint.name,
      shape: bias.shape,
    });
  return {
    weight,
    bias: Float32Array.from(
      { length: outer },
      (_, column) => beta * (bias.data[bias.data.length === 1 ? 0 : column] as number),
    ),
  };
}
