import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type OnnxTensorProto, onnx } from '../onnx-proto-types.js';
import { type OnnxModel, readOnnxModel } from '../read-onnx-model.js';

/** Where Debian's `libonnx-testdata` (ONNX 1.12) puts ONNX's backend node tests. */
export const debianNodeTestDirectory = '/usr/share/libonnx-testdata/data/node';

/** One ONNX backend node test: a model of one op case, its inputs and its expected outputs. */
export interface OnnxNodeTest {
  /** The test's folder name, e.g. `test_reshape_negative_dim`. */
  readonly name: string;
  readonly model: OnnxModel;
  /** Input tensors by graph input name (data set 0). */
  readonly inputs: ReadonlyMap<string, OnnxTensorProto>;
  /** Expected output tensors by graph output name. */
  readonly outputs: ReadonlyMap<string, OnnxTensorProto>;
  /** The op types of its nodes, in graph order. */
  readonly opTypes: readonly string[];
}

/** The names of the node tests in `directory` (folders starting with `test_`), sorted. */
export async function listNodeTests(directory = debianNodeTestDirectory): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('test_'))
    .map((entry) => entry.name)
    .sort();
}

async function readTensors(folder: string, prefix: string, names: readonly string[]) {
  const tensors = new Map<string, OnnxTensorProto>();
  for (const [index, name] of names.entries()) {
    const bytes = await readFile(join(folder, `${prefix}_${index}.pb`)).catch(() => undefined);
    if (bytes !== undefined) tensors.set(name, onnx.TensorProto.decode(bytes));
  }
  return tensors;
}

/**
 * Reads a node test's model and its first data set. Inputs and outputs are matched to the graph's by position,
 * as ONNX's backend test runner does.
 */
export async function readNodeTest(name: string, directory = debianNodeTestDirectory): Promise<OnnxNodeTest> {
  const folder = join(directory, name);
  const model = await readOnnxModel(join(folder, 'model.onnx'));
  const graph = model.proto.graph ?? {};
  const initializers = new Set((graph.initializer ?? []).map((initializer) => initializer.name));
  const inputNames = (graph.input ?? [])
    .map((input) => input.name ?? '')
    .filter((input) => !initializers.has(input));
  const outputNames = (graph.output ?? []).map((output) => output.name ?? '');
  const data = join(folder, 'test_data_set_0');
  return {
    name,
    model,
    inputs: await readTensors(data, 'input', inputNames),
    outputs: await readTensors(data, 'output', outputNames),
    opTypes: (graph.node ?? []).map((node) => node.opType ?? ''),
  };
}
