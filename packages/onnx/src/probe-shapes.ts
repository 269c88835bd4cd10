import { GraceError, type SymbolicShape } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { probeFeeds, resolveInputSpecs, symbolicShapeFromProbes } from './onnx-inputs.js';
import { onnx } from './onnx-proto-types.js';
import { encodeOnnxModel, type OnnxModel } from './read-onnx-model.js';

/** What a probe learned about one tensor. */
export interface ProbedTensor {
  readonly shape: SymbolicShape;
  /** onnxruntime's type name (`float32`, `int64`, ...). */
  readonly type: string;
}

/**
 * Shapes and types of inner tensors, found by running the model on onnxruntime with those tensors added as
 * outputs, at two batch sizes so that the batch dimension shows itself. This needs no shape inference code of
 * our own and gives exactly the shapes the runtime computes.
 */
export async function probeShapes(
  model: OnnxModel,
  tensorNames: readonly string[],
  dimensions: Readonly<Record<string, number>> = {},
): Promise<Map<string, ProbedTensor>> {
  const proto = onnx.ModelProto.create(model.proto);
  const graph = onnx.GraphProto.create(proto.graph ?? {});
  const existing = new Set((graph.output ?? []).map((output) => output.name));
  const wanted = [...new Set(tensorNames)].filter((name) => name !== '');
  graph.output = [
    ...(graph.output ?? []),
    ...wanted.filter((name) => !existing.has(name)).map((name) => onnx.ValueInfoProto.create({ name })),
  ];
  proto.graph = graph;
  const session = await ort.InferenceSession.create(encodeOnnxModel(proto));
  const specs = resolveInputSpecs(model, dimensions);
  try {
    const [small, large] = [2, 3];
    const run = async (batch: number) => {
      try {
        return await session.run(probeFeeds(specs, batch), wanted);
      } catch (error) {
        // A graph that fixes its batch (a Reshape to a constant [1, ...]) fails here with onnxruntime's words.
        throw new GraceError(
          'UNSUPPORTED_OP',
          `onnxruntime cannot run the model at batch ${batch}, which GRACE needs to batch examples: ${(error as Error).message}`,
          { batch },
        );
      }
    };
    const first = await run(small);
    const second = await run(large);
    const probed = new Map<string, ProbedTensor>();
    for (const name of wanted) {
      const a = first[name] as ort.Tensor;
      const b = second[name] as ort.Tensor;
      probed.set(name, { shape: symbolicShapeFromProbes(a.dims, b.dims, small, large), type: a.type });
    }
    return probed;
  } finally {
    await session.release();
  }
}
