import { type GraceBackend, isGraceError, SuffixExecutor, type Tensor } from '@grace/core';
import { type ImportedOnnxGraph, importOnnxGraph } from '../import-onnx-graph.js';
import { type OnnxTensorProto, onnxDataType } from '../onnx-proto-types.js';
import { tensorToStaticValue } from '../static-value.js';
import type { OnnxNodeTest } from './read-node-test.js';

/**
 * What happened to one node test on one backend:
 * - `PASS`: imported, run, and every output within ONNX's tolerances;
 * - `WRONG`: imported and run, but an output differs (the one result that must never happen);
 * - `REFUSED`: a `GraceError` at import, build or run (the IR cannot honour something and says so);
 * - `CRASH`: anything else thrown.
 */
export type NodeTestStatus = 'PASS' | 'WRONG' | 'REFUSED' | 'CRASH';

export interface NodeTestOutcome {
  readonly name: string;
  /** The op of a single-node test; `multi-node` for a graph of several (ONNX's function-expanded tests). */
  readonly op: string;
  readonly status: NodeTestStatus;
  /** Why it was refused, crashed or wrong; empty for a pass. */
  readonly detail: string;
}

/** ONNX's backend test tolerances (`onnx/backend/test/runner`): `|actual − expected| ≤ atol + rtol·|expected|`. */
export const nodeTestTolerances = { relative: 1e-3, absolute: 1e-7 } as const;

/**
 * The runner's one policy choice: every graph input that is not float32 (shapes, axes, labels, exponents,
 * modes, integer operands) is given to the importer as a constant, as a model would hold it; float32 inputs
 * are fed at run time on the backend. Graph inputs of other float types stay inputs, which the importer
 * refuses.
 */
export function nodeTestConstants(test: OnnxNodeTest): Record<string, OnnxTensorProto> {
  const constants: Record<string, OnnxTensorProto> = {};
  for (const [name, tensor] of test.inputs) {
    const type = tensor.dataType ?? 0;
    if (type !== onnxDataType.float && type !== onnxDataType.double && type !== 10 && type !== 16)
      constants[name] = tensor;
  }
  return constants;
}

/** The first element outside tolerance, or `undefined`; NaN matches NaN and an infinity only itself. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): number | undefined {
  for (let index = 0; index < expected.length; index++) {
    const want = expected[index] as number;
    const got = actual[index] as number;
    const close = Number.isNaN(want)
      ? Number.isNaN(got)
      : !Number.isFinite(want)
        ? got === want
        : Math.abs(got - want) <= nodeTestTolerances.absolute + nodeTestTolerances.relative * Math.abs(want);
    if (!close) return index;
  }
  return undefined;
}

function hostData(
  tensor: OnnxTensorProto,
  where: string,
): { data: ArrayLike<number>; shape: readonly number[] } {
  const value = tensorToStaticValue(tensor, where);
  return { data: value.data as ArrayLike<number>, shape: value.shape };
}

/** The imported graph's outputs on `backend`, by name, as host arrays with shapes. */
export async function runImportedGraph(
  imported: ImportedOnnxGraph,
  backend: GraceBackend,
  feeds: ReadonlyMap<string, OnnxTensorProto>,
): Promise<Map<string, { data: ArrayLike<number>; shape: readonly number[] }>> {
  const { graph } = imported;
  const results = new Map<string, { data: ArrayLike<number>; shape: readonly number[] }>();
  // Folded outputs are the graph's constants (integers stay int32, which no float kernel should copy).
  const constantOutputs = graph.outputs.filter((output) =>
    graph.initializers.some((initializer) => initializer.name === output),
  );
  for (const output of constantOutputs) {
    const initializer = graph.initializers.find((entry) => entry.name === output);
    if (initializer !== undefined) results.set(output, { data: initializer.data, shape: initializer.shape });
  }
  const computed = graph.outputs.filter((output) => !constantOutputs.includes(output));
  if (computed.length === 0) return results;
  const executor = new SuffixExecutor(backend, graph);
  const uploaded: Record<string, Tensor> = {};
  try {
    for (const input of graph.inputs) {
      const tensor = feeds.get(input.name);
      if (tensor === undefined) continue;
      const { data, shape } = hostData(tensor, `input '${input.name}'`);
      uploaded[input.name] = backend.upload(
        input.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data),
        shape,
      );
    }
    const { outputs } = executor.run({ feeds: uploaded, outputs: computed });
    for (const [name, tensor] of outputs) {
      results.set(name, { data: await backend.download(tensor), shape: tensor.shape });
      backend.dispose(tensor);
    }
    return results;
  } finally {
    for (const tensor of Object.values(uploaded)) backend.dispose(tensor);
    executor.dispose();
  }
}

/** A node test after import: the IR graph, or the outcome that ended it (refused at import, or a crash). */
export type ImportedNodeTest =
  | { readonly test: OnnxNodeTest; readonly imported: ImportedOnnxGraph }
  | { readonly test: OnnxNodeTest; readonly outcome: NodeTestOutcome };

/** The key a test is counted under: its op, or `multi-node`. */
export function nodeTestOp(test: OnnxNodeTest): string {
  return test.opTypes.length === 1 ? (test.opTypes[0] as string) : 'multi-node';
}

function outcome(test: OnnxNodeTest, status: NodeTestStatus, detail = ''): NodeTestOutcome {
  return { name: test.name, op: nodeTestOp(test), status, detail };
}

function failure(test: OnnxNodeTest, error: unknown): NodeTestOutcome {
  if (isGraceError(error)) return outcome(test, 'REFUSED', error.message);
  return outcome(test, 'CRASH', String((error as Error)?.stack ?? error));
}

/** Imports a node test's model with {@link nodeTestConstants}; never throws. Import does not depend on a backend. */
export async function importNodeTest(test: OnnxNodeTest): Promise<ImportedNodeTest> {
  try {
    return { test, imported: await importOnnxGraph(test.model, { constants: nodeTestConstants(test) }) };
  } catch (error) {
    return { test, outcome: failure(test, error) };
  }
}

/** Runs an imported node test on `backend` and compares every output with ONNX's tolerances; never throws. */
export async function runNodeTest(entry: ImportedNodeTest, backend: GraceBackend): Promise<NodeTestOutcome> {
  if ('outcome' in entry) return entry.outcome;
  const { test, imported } = entry;
  try {
    const actual = await runImportedGraph(imported, backend, test.inputs);
    for (const [output, tensor] of test.outputs) {
      const expected = hostData(tensor, `expected output '${output}'`);
      const got = actual.get(output);
      if (got === undefined) return outcome(test, 'WRONG', `output '${output}' was not computed`);
      if (got.shape.join(',') !== expected.shape.join(','))
        return outcome(
          test,
          'WRONG',
          `output '${output}' has shape [${got.shape}], expected [${expected.shape}]`,
        );
      const index = firstMismatch(got.data, expected.data);
      if (index !== undefined)
        return outcome(
          test,
          'WRONG',
          `output '${output}'[${index}] is ${got.data[index]}, expected ${expected.data[index]}`,
        );
    }
    return outcome(test, 'PASS');
  } catch (error) {
    return failure(test, error);
  }
}
