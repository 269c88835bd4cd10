import {
  type BuiltSuffixGraph,
  buildSuffixGraph,
  type GraceBackend,
  type GraphNode,
  SeededRandom,
  SuffixExecutor,
  type SuffixGraph,
  type SuffixOpType,
  type Tensor,
} from '@grace/core';
import { type ReferenceArray, referenceOps, withinTolerance } from '@grace/core/testing';
import { tensorToStaticValue } from '../static-value.js';
import { passingNodeTests, refusedByBackend } from './passing-node-tests.js';
import type { ImportedNodeTest } from './run-node-test.js';

/** The VJP tolerance: ONNX's forward rtol, relative above magnitude 1 and absolute below. */
export const gradientTolerance = 1e-3;

const lossName = 'grace:vjp-loss';

/** A scalar `Σ_k Σ_j g_kj · output_kj` over the computed outputs, with fixed random weights `g`. */
interface WeightedGraph {
  readonly graph: SuffixGraph;
  /** The float32 inputs whose gradients are checked. */
  readonly inputs: readonly string[];
}

function weightedGraph(graph: SuffixGraph, seed: number): WeightedGraph | undefined {
  const built = buildSuffixGraph(graph);
  const inputs = graph.inputs.filter((input) => input.dtype === 'float32').map((input) => input.name);
  const computed = graph.outputs.filter(
    (output) => typeof built.valueInfo.get(output)?.producer === 'number',
  );
  if (inputs.length === 0 || computed.length === 0) return undefined;
  const random = new SeededRandom(seed);
  const nodes: GraphNode[] = [...graph.nodes];
  const initializers = [...graph.initializers];
  const terms = computed.map((output, index) => {
    const shape = built.valueInfo.get(output)?.shape as number[];
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    initializers.push({ name: `${lossName}:weights${index}`, data: random.floats(size), shape });
    const weighted = `${lossName}:weighted${index}`;
    nodes.push({
      name: weighted,
      opType: 'Mul',
      inputs: [output, `${lossName}:weights${index}`],
      outputs: [weighted],
    });
    if (shape.length === 0) return weighted;
    const summed = `${lossName}:sum${index}`;
    nodes.push({
      name: summed,
      opType: 'ReduceSum',
      inputs: [weighted],
      outputs: [summed],
      attributes: { keepdims: 0 },
    });
    return summed;
  });
  const total = terms.reduce((left, right, index) => {
    const sum = index === terms.length - 1 ? lossName : `${lossName}:partial${index}`;
    nodes.push({ name: sum, opType: 'Add', inputs: [left, right], outputs: [sum] });
    return sum;
  });
  if (total !== lossName)
    nodes.push({ name: lossName, opType: 'Identity', inputs: [total], outputs: [lossName] });
  return { graph: { ...graph, nodes, initializers, outputs: [lossName] }, inputs };
}

/** The graph's scalar output in float64 with core's reference ops (the oracle of the op conformance cases). */
function referenceScalar(
  graph: SuffixGraph,
  built: BuiltSuffixGraph,
  feeds: ReadonlyMap<string, ReferenceArray>,
): number {
  const values = new Map<string, ReferenceArray>(feeds);
  for (const initializer of graph.initializers)
    values.set(initializer.name, { data: initializer.data, shape: initializer.shape });
  built.nodes.forEach((node, index) => {
    const inputs = node.inputs.map((input) => (input === undefined ? undefined : values.get(input)));
    const resolved = built.resolveNode(
      index,
      inputs.map((input) => input?.shape),
    );
    const operation = referenceOps[node.type as SuffixOpType] as (
      inputs: readonly (ReferenceArray | undefined)[],
      attributes: unknown,
      outputShape: readonly number[],
    ) => ReferenceArray;
    values.set(node.output, operation(inputs, resolved.attributes, resolved.outputShape));
  });
  return (values.get(lossName) as ReferenceArray).data[0] as number;
}

/** Elements whose gradient is checked: all of an input of up to 64, an even spread of 8 in a larger one. */
export const sampledElementCount = 8;

function sampledElements(length: number): number[] {
  if (length <= 64) return Array.from({ length }, (_, index) => index);
  return Array.from({ length: sampledElementCount }, (_, index) =>
    Math.floor(((index + 0.5) * length) / sampledElementCount),
  );
}

/** The finite-difference gradients of a test, by input: computed once, shared by every backend. */
const expectedGradients = new Map<string, Map<string, Float64Array> | string>();

function finiteDifferences(entry: ImportedNodeTest & { imported: unknown }, weighted: WeightedGraph) {
  const feeds = new Map<string, ReferenceArray>();
  for (const name of weighted.inputs) {
    const tensor = entry.test.inputs.get(name);
    if (tensor === undefined) return 'no input data';
    const value = tensorToStaticValue(tensor, name);
    feeds.set(name, { data: Float64Array.from(value.data as ArrayLike<number>), shape: value.shape });
  }
  const built = buildSuffixGraph(weighted.graph);
  if (!Number.isFinite(referenceScalar(weighted.graph, built, feeds))) return 'outputs are not all finite';
  const gradients = new Map<string, Float64Array>();
  const order = [...feeds.keys()];
  for (const name of order) {
    const input = feeds.get(name) as ReferenceArray;
    const perturbed = Float64Array.from(input.data);
    const at = () =>
      referenceScalar(
        weighted.graph,
        built,
        new Map([...feeds, [name, { data: perturbed, shape: input.shape }]]),
      );
    let squares = 0;
    for (const value of perturbed) squares += value * value;
    const rms = Math.sqrt(squares / Math.max(1, perturbed.length)) || 1;
    // NaN marks an element not sampled; the step of 1e-6 relative keeps the stencil off kinks (Relu at 0).
    const gradient = new Float64Array(perturbed.length).fill(Number.NaN);
    for (const index of sampledElements(perturbed.length)) {
      const original = perturbed[index] as number;
      const step = 1e-6 * Math.max(Math.abs(original), rms);
      const shifted = (offset: number): number => {
        perturbed[index] = original + offset * step;
        return at();
      };
      const near = shifted(1) - shifted(-1);
      const far = shifted(2) - shifted(-2);
      perturbed[index] = original;
      gradient[index] = (8 * near - far) / (12 * step);
    }
    gradients.set(name, gradient);
  }
  return gradients;
}

/** What the VJP check found on one backend. */
export interface GradientCheckResult {
  /** One line per gradient element off by more than the tolerance (first per input). */
  readonly failures: readonly string[];
  /** How many tests were checked, and which were not and why. */
  readonly summary: string;
}

/**
 * For every allow-listed node test with float inputs on the value path: the backend's VJP (core's executor,
 * reverse mode) of a random weighting of the outputs, against central finite differences of the same scalar
 * on core's float64 reference ops, at the test's own inputs (every element of an input of up to 64, 8 spread over
 * a larger one). Tests whose outputs are not all finite (Pow of a
 * negative base to a fractional power) have no derivative there and are listed as skipped; elements whose
 * stencil leaves the op's domain (Pow's base at 0) are counted as unchecked.
 */
export async function checkNodeTestGradients(
  imported: readonly ImportedNodeTest[],
  backend: GraceBackend,
): Promise<GradientCheckResult> {
  const refusedHere = new Set(refusedByBackend[backend.name]?.tests ?? []);
  const passing = new Set(
    Object.values(passingNodeTests)
      .flat()
      .filter((name) => !refusedHere.has(name)),
  );
  const failures: string[] = [];
  const skipped: string[] = [];
  let checked = 0;
  let unchecked = 0;
  let checkedElements = 0;
  for (const [index, entry] of imported.entries()) {
    if ('outcome' in entry || !passing.has(entry.test.name)) continue;
    const weighted = weightedGraph(entry.imported.graph, index + 1);
    if (weighted === undefined) continue;
    let expected = expectedGradients.get(entry.test.name);
    if (expected === undefined) {
      expected = finiteDifferences(entry, weighted);
      expectedGradients.set(entry.test.name, expected);
    }
    if (typeof expected === 'string') {
      skipped.push(`${entry.test.name} (${expected})`);
      continue;
    }
    checked++;
    const executor = new SuffixExecutor(backend, weighted.graph);
    const feeds: Record<string, Tensor> = {};
    try {
      for (const name of weighted.inputs) {
        const value = tensorToStaticValue(entry.test.inputs.get(name) as never, name);
        feeds[name] = backend.upload(Float32Array.from(value.data as ArrayLike<number>), value.shape);
      }
      const result = executor.run({
        feeds,
        outputs: [],
        gradient: { of: lossName, withRespectTo: weighted.inputs },
      });
      for (const [name, tensor] of result.gradients) {
        const actual = await backend.download(tensor);
        backend.dispose(tensor);
        const want = expected.get(name) as Float64Array;
        // Where the stencil leaves the op's domain (Pow's base at 0) the difference is not finite: not checked.
        const sampled = sampledElements(want.length);
        unchecked += sampled.filter((position) => !Number.isFinite(want[position])).length;
        checkedElements += sampled.length;
        const wrong = want.findIndex(
          (value, position) =>
            Number.isFinite(value) && !withinTolerance(actual[position] as number, value, gradientTolerance),
        );
        if (wrong >= 0)
          failures.push(
            `${entry.test.name}: d/d${name}[${wrong}] is ${actual[wrong]}, finite differences give ${want[wrong]}`,
          );
      }
    } finally {
      for (const tensor of Object.values(feeds)) backend.dispose(tensor);
      executor.dispose();
    }
  }
  const summary = `VJP on ${backend.name}: ${checked} node tests, ${checkedElements - unchecked} gradient elements checked against finite differences (${unchecked} at a domain edge not checked)${
    skipped.length === 0 ? '' : `; not checked: ${skipped.join(', ')}`
  }`;
  return { failures, summary };
}
