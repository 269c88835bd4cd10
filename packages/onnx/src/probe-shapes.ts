import { type Dimension, GraceError, type SymbolicShape } from '@grace/core';
import * as ort from 'onnxruntime-node';
import { batchDimension, type OnnxInputSpec, probeFeeds, resolveInputSpecs } from './onnx-inputs.js';
import { onnx } from './onnx-proto-types.js';
import { encodeOnnxModel, type OnnxModel } from './read-onnx-model.js';

/** What a probe learned about one tensor. */
export interface ProbedTensor {
  readonly shape: SymbolicShape;
  /** onnxruntime's type name (`float32`, `int64`, ...). */
  readonly type: string;
}

/** One probe run: the batch size and the size of each run-time dimension. */
interface ProbeSizes {
  readonly batch: number;
  readonly sizes: ReadonlyMap<string, number>;
}

/** Batch and run-time dimension sizes of the first probe; each later probe grows one of them. */
const firstBatch = 2;
const grownBatch = 3;
const firstRunTimeSize = 5;
const grownRunTimeSize = 7;

/**
 * Shapes and types of inner tensors, found by running the model on onnxruntime with those tensors added as
 * outputs: once at batch 2 with every run-time dimension (a sequence length) at 5, then once more for each of
 * them grown alone (batch 3, a length of 7), so that each shows itself. This needs no shape inference code of our
 * own and gives exactly the shapes the runtime computes; see {@link symbolicShapeFromProbes} for the names.
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
    const names = runTimeNames(specs);
    const first: ProbeSizes = {
      batch: firstBatch,
      sizes: new Map(names.map((name) => [name, firstRunTimeSize])),
    };
    const probes: ProbeSizes[] = [
      first,
      { batch: grownBatch, sizes: first.sizes },
      ...names.map((name) => ({
        batch: firstBatch,
        sizes: new Map([...first.sizes, [name, grownRunTimeSize]]),
      })),
    ];
    const results: Record<string, ort.Tensor>[] = [];
    for (const probe of probes) results.push(await runProbe(session, specs, wanted, probe));
    const probed = new Map<string, ProbedTensor>();
    for (const name of wanted) {
      const shapes = results.map((result) => [...(result[name] as ort.Tensor).dims]);
      const type = ((results[0] as Record<string, ort.Tensor>)[name] as ort.Tensor).type;
      probed.set(name, { shape: symbolicShapeFromProbes(shapes, probes, [batchDimension, ...names]), type });
    }
    return probed;
  } finally {
    await session.release();
  }
}

/** The names of the run-time dimensions of the inputs, in input order. */
function runTimeNames(specs: readonly OnnxInputSpec[]): string[] {
  return [
    ...new Set(
      specs.flatMap((spec) =>
        spec.exampleShape.filter((dimension): dimension is string => typeof dimension === 'string'),
      ),
    ),
  ];
}

async function runProbe(
  session: ort.InferenceSession,
  specs: readonly OnnxInputSpec[],
  wanted: readonly string[],
  probe: ProbeSizes,
): Promise<Record<string, ort.Tensor>> {
  try {
    return (await session.run(probeFeeds(specs, probe.batch, probe.sizes), wanted)) as Record<
      string,
      ort.Tensor
    >;
  } catch (error) {
    // A graph that fixes its batch (a Reshape to a constant [1, ...]) fails here with onnxruntime's words.
    const sizes = [...probe.sizes].map(([name, size]) => `${name} = ${size}`);
    throw new GraceError(
      'UNSUPPORTED_OP',
      `onnxruntime cannot run the model at batch ${probe.batch}${sizes.length > 0 ? ` with ${sizes.join(', ')}` : ''}, which GRACE needs to batch examples (a dimension that must be fixed can be given in options.dimensions): ${(error as Error).message}`,
      { batch: probe.batch, sizes: Object.fromEntries(probe.sizes) },
    );
  }
}

/**
 * A symbolic shape from the same tensor's shapes in each probe (the first, then one per grown name, in the order
 * of `names`, the batch first). A dimension that none of the growths changes is a number; one that grows in
 * proportion to some names is their product times a whole factor (`batch`, `sequence`, `batch*sequence`,
 * `batch*4` for batch × heads); any other (`sequence + 1`, say) is the names it follows and `?`, a size only the
 * run decides.
 */
export function symbolicShapeFromProbes(
  shapes: readonly (readonly number[])[],
  probes: readonly ProbeSizes[],
  names: readonly string[],
): SymbolicShape {
  const [first = [], ...grown] = shapes;
  const sizeIn = (probe: ProbeSizes | undefined, name: string): number =>
    name === batchDimension ? (probe?.batch ?? 1) : (probe?.sizes.get(name) ?? 1);
  return first.map((dimension, axis): Dimension => {
    const followed: string[] = [];
    let proportional = true;
    grown.forEach((shape, index) => {
      const other = shape[axis] as number;
      if (other === dimension) return;
      const name = names[index] as string;
      followed.push(name);
      const ratio = sizeIn(probes[index + 1], name) / sizeIn(probes[0], name);
      if (other !== dimension * ratio) proportional = false;
    });
    if (followed.length === 0) return dimension;
    const factor = dimension / followed.reduce((product, name) => product * sizeIn(probes[0], name), 1);
    const exact = proportional && Number.isInteger(factor);
    return [...followed, ...(exact ? (factor === 1 ? [] : [factor]) : ['?'])].join('*');
  });
}
