import { GraceError, type GraphInitializer, type GraphNode, type SymbolicShape } from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';

/** The parts of a tfjs-layers `Layer` the importer reads (structural, so no tfjs-layers import is needed). */
export interface ImportableLayer {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  readonly weights: readonly { readonly name: string; read(): tfjs.Tensor }[];
}

/** One layer of a LayersModel, with the IR names of its inputs and output. */
export interface LayerToImport {
  readonly layer: ImportableLayer;
  readonly inputs: readonly string[];
  readonly output: string;
  /** Shapes of the inputs, symbolic (`batch`, `sequence`) where tfjs has `null`. */
  readonly inputShapes: readonly SymbolicShape[];
}

/** IR nodes and weights a layer becomes, plus the shapes of the tensors it adds inside. */
export interface ImportedLayer {
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly GraphInitializer[];
  readonly innerShapes: ReadonlyMap<string, SymbolicShape>;
}

/** A layer's weight by the end of its name (`kernel`, `bias`, `gamma`, `beta`), read once to the host. */
function weight(layer: ImportableLayer, suffix: string): GraphInitializer | undefined {
  const variable = layer.weights.find((entry) => entry.name.endsWith(`/${suffix}`));
  if (variable === undefined) return undefined;
  const tensor = variable.read();
  return {
    name: `${layer.name}/${suffix}`,
    data: tensor.dataSync() as Float32Array,
    shape: [...tensor.shape],
  };
}

function unsupported(layer: ImportableLayer, why: string): GraceError {
  return new GraceError('UNSUPPORTED_OP', `layer '${layer.name}' (${layer.getClassName()}): ${why}`, {
    node: layer.name,
    opType: layer.getClassName(),
  });
}

/**
 * The IR nodes of a Keras activation from `input` to `output`. Activations outside core's op set (elu, selu,
 * softplus, ...) are refused, naming the layer.
 */
export function activationNodes(
  layer: ImportableLayer,
  activation: string,
  input: string,
  output: string,
): { nodes: GraphNode[]; initializers: GraphInitializer[] } {
  const node = (opType: string, attributes?: GraphNode['attributes']): GraphNode => ({
    name: `${layer.name}/${activation}`,
    opType,
    inputs: [input],
    outputs: [output],
    ...(attributes === undefined ? {} : { attributes }),
  });
  switch (activation) {
    case 'linear':
      return { nodes: [node('Identity')], initializers: [] };
    case 'relu':
      return { nodes: [node('Relu')], initializers: [] };
    case 'tanh':
      return { nodes: [node('Tanh')], initializers: [] };
    case 'sigmoid':
      return { nodes: [node('Sigmoid')], initializers: [] };
    case 'softmax':
      return { nodes: [node('Softmax', { axis: -1 })], initializers: [] };
    case 'gelu':
      return { nodes: [node('Gelu', { approximate: 'none' })], initializers: [] };
    case 'gelu_new':
      return { nodes: [node('Gelu', { approximate: 'tanh' })], initializers: [] };
    case 'swish': {
      const gate = `${layer.name}/swish/sigmoid`;
      return {
        nodes: [
          { name: gate, opType: 'Sigmoid', inputs: [input], outputs: [gate] },
          { name: `${layer.name}/swish`, opType: 'Mul', inputs: [input, gate], outputs: [output] },
        ],
        initializers: [],
      };
    }
    default:
      throw unsupported(layer, `activation '${activation}' has no counterpart in core's suffix op set`);
  }
}

/** The Dense layer: `x W (+ b)` over the last axis, then its activation. */
function dense(entry: LayerToImport): ImportedLayer {
  const { layer, inputs, output } = entry;
  const config = layer.getConfig();
  const kernel = weight(layer, 'kernel');
  if (kernel === undefined) throw unsupported(layer, 'the layer has no kernel (not built?)');
  const bias = config.useBias === false ? undefined : weight(layer, 'bias');
  const activation = String(config.activation ?? 'linear');
  const product = `${layer.name}/MatMul`;
  const biased = `${layer.name}/BiasAdd`;
  const linearOutput = activation === 'linear' ? output : bias === undefined ? product : biased;
  const nodes: GraphNode[] = [
    {
      name: product,
      opType: 'MatMul',
      inputs: [inputs[0] as string, kernel.name],
      outputs: [bias === undefined ? linearOutput : product],
    },
  ];
  if (bias !== undefined)
    nodes.push({ name: biased, opType: 'Add', inputs: [product, bias.name], outputs: [linearOutput] });
  const activated =
    activation === 'linear'
      ? { nodes: [], initializers: [] }
      : activationNodes(layer, activation, linearOutput, output);
  const width = kernel.shape[1] as number;
  const outerShape = [...(entry.inputShapes[0] ?? []).slice(0, -1), width];
  return {
    nodes: [...nodes, ...activated.nodes],
    initializers: [kernel, ...(bias === undefined ? [] : [bias])],
    innerShapes: new Map([
      [product, outerShape],
      [biased, outerShape],
    ]),
  };
}

/** LayerNormalization over the last axis: core's LayerNormalization with tfjs's epsilon (default 1e-3). */
function layerNormalization(entry: LayerToImport): ImportedLayer {
  const { layer, inputs, output } = entry;
  const config = layer.getConfig();
  const rank = (entry.inputShapes[0] ?? []).length;
  const axes = (Array.isArray(config.axis) ? config.axis : [config.axis ?? -1]) as number[];
  if (axes.length !== 1 || ((axes[0] as number) + rank) % rank !== rank - 1) {
    throw unsupported(layer, `normalises axes [${axes.join(', ')}]; only the last axis is imported`);
  }
  const width = (entry.inputShapes[0] ?? []).at(-1);
  if (typeof width !== 'number') throw unsupported(layer, 'the normalised axis has no fixed size');
  const scale = weight(layer, 'gamma') ?? {
    name: `${layer.name}/ones`,
    data: new Float32Array(width).fill(1),
    shape: [width],
  };
  const offset = weight(layer, 'beta');
  return {
    nodes: [
      {
        name: layer.name,
        opType: 'LayerNormalization',
        inputs: [inputs[0] as string, scale.name, ...(offset === undefined ? [] : [offset.name])],
        outputs: [output],
        attributes: { axis: -1, epsilon: Number(config.epsilon ?? 1e-3) },
      },
    ],
    initializers: [scale, ...(offset === undefined ? [] : [offset])],
    innerShapes: new Map(),
  };
}

/** Add, Subtract, Multiply and Average: a chain of binary IR ops over the merged inputs. */
function merge(entry: LayerToImport, opType: 'Add' | 'Sub' | 'Mul', average: boolean): ImportedLayer {
  const { layer, inputs, output } = entry;
  const nodes: GraphNode[] = [];
  const initializers: GraphInitializer[] = [];
  let accumulated = inputs[0] as string;
  inputs.slice(1).forEach((input, index) => {
    const last = index === inputs.length - 2 && !average;
    const name = last ? output : `${layer.name}/${opType}_${index}`;
    nodes.push({
      name: `${layer.name}/${opType}_${index}`,
      opType,
      inputs: [accumulated, input],
      outputs: [name],
    });
    accumulated = name;
  });
  if (average) {
    const scale = { name: `${layer.name}/reciprocal`, data: Float32Array.of(1 / inputs.length), shape: [1] };
    initializers.push(scale);
    nodes.push({
      name: `${layer.name}/scale`,
      opType: 'Mul',
      inputs: [accumulated, scale.name],
      outputs: [output],
    });
  }
  return { nodes, initializers, innerShapes: new Map() };
}

function single(entry: LayerToImport, opType: string, attributes?: GraphNode['attributes']): ImportedLayer {
  return {
    nodes: [
      {
        name: entry.layer.name,
        opType,
        inputs: [entry.inputs[0] as string],
        outputs: [entry.output],
        ...(attributes === undefined ? {} : { attributes }),
      },
    ],
    initializers: [],
    innerShapes: new Map(),
  };
}

/**
 * Translates one tfjs-layers layer into IR nodes. Inference behaviour is what is imported: dropout and noise
 * layers are identities. A layer without a counterpart is `UNSUPPORTED_OP`, naming the layer and its class.
 */
export function importLayer(entry: LayerToImport): ImportedLayer {
  const { layer } = entry;
  const config = layer.getConfig();
  switch (layer.getClassName()) {
    case 'Dense':
      return dense(entry);
    case 'Activation': {
      const activated = activationNodes(
        layer,
        String(config.activation),
        entry.inputs[0] as string,
        entry.output,
      );
      return { ...activated, innerShapes: new Map() };
    }
    case 'ReLU':
      if (config.maxValue != null) throw unsupported(layer, 'a capped ReLU has no counterpart in the op set');
      return single(entry, 'Relu');
    case 'Softmax':
      return single(entry, 'Softmax', { axis: Number(config.axis ?? -1) });
    case 'LayerNormalization':
      return layerNormalization(entry);
    case 'Dropout':
    case 'AlphaDropout':
    case 'GaussianDropout':
    case 'GaussianNoise':
    case 'SpatialDropout1D':
      return single(entry, 'Identity');
    case 'Flatten':
      return single(entry, 'Reshape', { shape: [0, -1] });
    case 'Reshape':
      return single(entry, 'Reshape', { shape: [0, ...(config.targetShape as number[])] });
    case 'Permute':
      return single(entry, 'Transpose', { perm: [0, ...(config.dims as number[])] });
    case 'GlobalAveragePooling1D':
      return single(entry, 'ReduceMean', { axes: [1], keepdims: 0 });
    case 'Concatenate': {
      const rank = (entry.inputShapes[0] ?? []).length;
      const axis = Number(config.axis ?? -1);
      return {
        nodes: [
          {
            name: layer.name,
            opType: 'Concat',
            inputs: [...entry.inputs],
            outputs: [entry.output],
            attributes: { axis: axis < 0 ? axis + rank : axis },
          },
        ],
        initializers: [],
        innerShapes: new Map(),
      };
    }
    case 'Add':
      return merge(entry, 'Add', false);
    case 'Subtract':
      return merge(entry, 'Sub', false);
    case 'Multiply':
      return merge(entry, 'Mul', false);
    case 'Average':
      return merge(entry, 'Add', true);
    default:
      throw unsupported(layer, "the layer has no counterpart in core's suffix op set");
  }
}
