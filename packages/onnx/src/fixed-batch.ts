import { longToNumber, type OnnxValueInfoProto, onnx } from './onnx-proto-types.js';
import type { OnnxModel } from './read-onnx-model.js';

/** A model whose batch dimension was fixed at 1 in the file, made dynamic, and what was changed. */
export interface BatchRewrite {
  readonly model: OnnxModel;
  /** The inputs and outputs whose first dimension 1 became `batch`; empty when nothing was fixed. */
  readonly rewritten: readonly string[];
  /** Says what was done, for the loaded model's notices; `undefined` when nothing was. */
  readonly notice: string | undefined;
}

function fixedAtOne(value: OnnxValueInfoProto): boolean {
  const first = value.type?.tensorType?.shape?.dim?.[0];
  return first !== undefined && longToNumber(first.dimValue) === 1 && (first.dimParam ?? '') === '';
}

/**
 * Exporters often write a batch of 1 into the file (a wake-word model `[1, 25, 96]`). GRACE batches examples, so
 * the first dimension of every input (and output) fixed at 1 is rewritten to the symbolic `batch`, and the inner
 * shape annotations, which would repeat the 1, are dropped. When the graph itself depends on the 1 (a Reshape to
 * a constant `[1, ...]`), the probe at batch 2 fails and the load says so (see `probeShapes`).
 */
export function rewriteFixedBatch(model: OnnxModel): BatchRewrite {
  const graph = model.proto.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((initializer) => initializer.name));
  const inputs = (graph.input ?? []).filter((input) => !initializers.has(input.name));
  if (!inputs.some(fixedAtOne)) return { model, rewritten: [], notice: undefined };
  const rewritten: string[] = [];
  const rewrite = (value: OnnxValueInfoProto): OnnxValueInfoProto => {
    if (!fixedAtOne(value)) return value;
    rewritten.push(value.name ?? '');
    const tensorType = value.type?.tensorType ?? {};
    const [, ...rest] = tensorType.shape?.dim ?? [];
    return onnx.ValueInfoProto.create({
      ...value,
      type: { tensorType: { ...tensorType, shape: { dim: [{ dimParam: 'batch' }, ...rest] } } },
    });
  };
  const proto = onnx.ModelProto.create({
    ...model.proto,
    graph: onnx.GraphProto.create({
      ...graph,
      input: (graph.input ?? []).map((input) => (initializers.has(input.name) ? input : rewrite(input))),
      output: (graph.output ?? []).map(rewrite),
      valueInfo: [],
    }),
  });
  return {
    model: { ...model, proto },
    rewritten,
    notice: `the batch dimension fixed at 1 in the file (${rewritten.join(', ')}) was rewritten to a dynamic batch`,
  };
}
