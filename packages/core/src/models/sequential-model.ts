import { GraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import { SeededRandom } from '../random.js';
import type { SuffixOpType } from '../suffix/op-types.js';
import type { GraphInitializer, GraphNode, SuffixGraph } from '../suffix/suffix-graph.js';
import type { Shape } from '../tensor.js';

/**
 * A layer of a {@link SequentialModel}: a dense (fully connected) layer, an element-wise activation, or a layer
 * normalization over the features (scale 1, bias 0, epsilon 1e-5; frozen like everything else). `name`
 * is the layer's public name (default `layer<i>` for layer i): edited layers, fine-tuned layers, initializers
 * (`<name>.weight`) and codebook files all use it.
 */
export type SequentialLayerSpecification =
  | { readonly kind: 'dense'; readonly units: number; readonly name?: string }
  | { readonly kind: SequentialActivation | 'layer-norm'; readonly name?: string };

/** The element-wise activations a {@link SequentialModel} layer can be. */
export type SequentialActivation = 'relu' | 'tanh' | 'sigmoid' | 'gelu';

/**
 * How a caller names a layer of a {@link SequentialModel}: by its name (the public naming, e.g. `dense1`), or
 * by its position in `layers` (an alias, e.g. 2). Anything else is refused with the list of names.
 */
export type SequentialLayerReference = string | number;

/**
 * How a dense weight given to {@link SequentialModel.fromWeights} is laid out: `in-out` is `[inputWidth,
 * outputWidth]` row-major (this model's own layout, `x · W`), `out-in` is `[outputWidth, inputWidth]` (PyTorch's
 * `nn.Linear.weight`, ONNX Gemm with `transB = 1`), transposed on import.
 */
export type DenseWeightLayout = 'in-out' | 'out-in';

/** The training loss, which also fixes how labels become targets and predictions become labels. */
export type SequentialLoss =
  /** Class ids; the prediction is the argmax of the logits. */
  | 'softmax-cross-entropy'
  /** Binary labels 0/1 on a single logit; the prediction is `logit > 0`. */
  | 'sigmoid-cross-entropy'
  /** Real-valued targets (a label is the whole target vector). */
  | 'mean-squared-error';

/** A layer with its weights (dense layers only). */
export interface SequentialLayer {
  readonly kind: SequentialLayerSpecification['kind'];
  /** The layer's public name (default `layer<i>` for layer i); the edited layer's id in codebook files. */
  readonly name: string;
  readonly inputWidth: number;
  readonly outputWidth: number;
  /** `[inputWidth, outputWidth]`, dense layers only. */
  readonly weight?: Float32Array;
  /** `[outputWidth]`, dense layers only. */
  readonly bias?: Float32Array;
}

/** Which layers a graph covers and what it ends with. */
export interface SequentialGraphOptions {
  /** First layer (inclusive), default 0. The graph input `input` is this layer's input. */
  readonly from?: number;
  /** Last layer (exclusive), default all. */
  readonly to?: number;
  /** Add the loss (input `target`, output `loss`); default true. */
  readonly withLoss?: boolean;
}

const activationOps: Record<SequentialActivation, SuffixOpType> = {
  relu: 'Relu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  gelu: 'Gelu',
};

/**
 * A small feed-forward model built and trained by the project itself, so that experiments start from a real
 * pre-trained network without downloading anything (the paper's synthetic 2 → 100 → 100 → 1 network, an MNIST
 * classifier). It turns any contiguous run of its layers into a graph of the suffix IR, which is how it is
 * trained (`trainParameters`), cut for editing, and fine-tuned as a baseline.
 */
export class SequentialModel {
  readonly inputWidth: number;
  readonly loss: SequentialLoss;
  readonly layers: readonly SequentialLayer[];

  private constructor(inputWidth: number, loss: SequentialLoss, layers: readonly SequentialLayer[]) {
    this.inputWidth = inputWidth;
    this.loss = loss;
    this.layers = layers;
  }

  /** A new model with Glorot-uniform weights and zero biases, reproducible for a seed. */
  static create(options: {
    readonly inputWidth: number;
    readonly layers: readonly SequentialLayerSpecification[];
    readonly loss: SequentialLoss;
    readonly seed?: number;
  }): SequentialModel {
    const random = new SeededRandom(options.seed ?? 0);
    let width = options.inputWidth;
    if (!Number.isInteger(width) || width < 1)
      throw new GraceError('INVALID_ARGUMENT', 'inputWidth must be a positive integer');
    const layers = options.layers.map((specification, index): SequentialLayer => {
      const name = specification.name ?? `layer${index}`;
      if (specification.kind !== 'dense')
        return { kind: specification.kind, name, inputWidth: width, outputWidth: width };
      const { units } = specification;
      if (!Number.isInteger(units) || units < 1)
        throw new GraceError('INVALID_ARGUMENT', `${name}: units must be a positive integer`);
      const limit = Math.sqrt(6 / (width + units));
      const layer = {
        kind: 'dense' as const,
        name,
        inputWidth: width,
        outputWidth: units,
        weight: random.floats(width * units, -limit, limit),
        bias: new Float32Array(units),
      };
      width = units;
      return layer;
    });
    return new SequentialModel(options.inputWidth, options.loss, checkLayerNames(layers));
  }

  /**
   * A model from existing weights, e.g. a pre-trained network read from another format. Dense layers give
   * `bias` as `[outputWidth]` and `weight` in `weightLayout` (default `in-out`, `[inputWidth, outputWidth]`
   * row-major; `out-in` takes PyTorch's `[outputWidth, inputWidth]` as it is and transposes it); a layer's own
   * `layout` overrides the model's. Widths are checked; names default to `layer<i>` and must be unique.
   *
   * @throws GraceError `SHAPE_MISMATCH` when a weight does not match the widths, `INVALID_ARGUMENT` for a
   *   duplicate or empty name.
   */
  static fromWeights(options: {
    readonly inputWidth: number;
    readonly loss: SequentialLoss;
    readonly weightLayout?: DenseWeightLayout;
    readonly layers: readonly (
      | {
          readonly kind: 'dense';
          readonly weight: Float32Array;
          readonly bias: Float32Array;
          readonly layout?: DenseWeightLayout;
          readonly name?: string;
        }
      | { readonly kind: SequentialActivation | 'layer-norm'; readonly name?: string }
    )[];
  }): SequentialModel {
    let width = options.inputWidth;
    const layers = options.layers.map((layer, index): SequentialLayer => {
      const name = layer.name ?? `layer${index}`;
      if (layer.kind !== 'dense') return { kind: layer.kind, name, inputWidth: width, outputWidth: width };
      const units = layer.bias.length;
      if (units === 0 || layer.weight.length !== width * units) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `${name}: weight has ${layer.weight.length} numbers, expected ${width} × ${units}`,
          {
            layer: index,
          },
        );
      }
      const layout = layer.layout ?? options.weightLayout ?? 'in-out';
      const built = {
        kind: 'dense' as const,
        name,
        inputWidth: width,
        outputWidth: units,
        weight: layout === 'out-in' ? transpose(layer.weight, units, width) : layer.weight,
        bias: layer.bias,
      };
      width = units;
      return built;
    });
    return new SequentialModel(options.inputWidth, options.loss, checkLayerNames(layers));
  }

  /**
   * The position in `layers` of a layer given by name or index (see {@link SequentialLayerReference}).
   *
   * @throws GraceError `INVALID_ARGUMENT` naming the model's layers when there is no such layer.
   */
  layerIndex(layer: SequentialLayerReference): number {
    const index =
      typeof layer === 'number'
        ? Number.isInteger(layer) && layer >= 0 && layer < this.layers.length
          ? layer
          : -1
        : this.layers.findIndex((candidate) => candidate.name === layer);
    if (index === -1) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `the model has no layer ${JSON.stringify(layer)}; its layers are ${this.describeLayers()} (a name, or an index from 0 to ${this.layers.length - 1})`,
        { layer },
      );
    }
    return index;
  }

  /**
   * Like {@link layerIndex}, for a layer that must be dense (the layers GRACE edits and fine-tuning trains).
   *
   * @throws GraceError `INVALID_ARGUMENT` when there is no such layer or it is an activation.
   */
  denseLayerIndex(layer: SequentialLayerReference): number {
    const index = this.layerIndex(layer);
    if (this.layers[index]?.kind !== 'dense') {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `layer ${JSON.stringify(layer)} is not a dense layer; the model's layers are ${this.describeLayers()}`,
        { layer },
      );
    }
    return index;
  }

  /** `0 dense0 (dense 620→120), 1 relu0, …`, for error messages. */
  private describeLayers(): string {
    return this.layers
      .map(
        (layer, index) =>
          `${index} ${layer.name}${layer.kind === 'dense' ? ` (dense ${layer.inputWidth}→${layer.outputWidth})` : ''}`,
      )
      .join(', ');
  }

  /** Width of the model's output (logits). */
  get outputWidth(): number {
    return this.layers.at(-1)?.outputWidth ?? this.inputWidth;
  }

  /** A copy whose weights are replaced by the trained ones given by initializer name (`layer0.weight`, ...). */
  withParameters(parameters: ReadonlyMap<string, Float32Array>): SequentialModel {
    const layers = this.layers.map((layer) => {
      if (layer.kind !== 'dense') return layer;
      const weight = parameters.get(`${layer.name}.weight`) ?? layer.weight;
      const bias = parameters.get(`${layer.name}.bias`) ?? layer.bias;
      return {
        ...layer,
        weight: Float32Array.from(weight as Float32Array),
        bias: Float32Array.from(bias as Float32Array),
      };
    });
    return new SequentialModel(this.inputWidth, this.loss, layers);
  }

  /** Names of the trainable initializers of layers `[from, to)`. */
  parameterNames(from = 0, to = this.layers.length): string[] {
    return this.layers
      .slice(from, to)
      .flatMap((layer) => (layer.kind === 'dense' ? [`${layer.name}.weight`, `${layer.name}.bias`] : []));
  }

  /**
   * Layers `[from, to)` as a suffix graph: input `input` `[batch, width]`, output `prediction` (the last
   * layer's output) and, with the loss, input `target` and scalar output `loss`.
   */
  graph(options: SequentialGraphOptions = {}): SuffixGraph {
    const from = options.from ?? 0;
    const to = options.to ?? this.layers.length;
    if (
      !(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from < to && to <= this.layers.length)
    ) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `layer range [${from}, ${to}) is not within [0, ${this.layers.length}]`,
        { from, to },
      );
    }
    const nodes: GraphNode[] = [];
    const initializers: GraphInitializer[] = [];
    let current = 'input';
    for (const layer of this.layers.slice(from, to)) {
      const output = to === this.layers.indexOf(layer) + 1 ? 'prediction' : `${layer.name}.output`;
      if (layer.kind === 'dense') {
        initializers.push(
          {
            name: `${layer.name}.weight`,
            data: layer.weight as Float32Array,
            shape: [layer.inputWidth, layer.outputWidth],
          },
          { name: `${layer.name}.bias`, data: layer.bias as Float32Array, shape: [layer.outputWidth] },
        );
        nodes.push({
          name: layer.name,
          opType: 'Gemm',
          inputs: [current, `${layer.name}.weight`, `${layer.name}.bias`],
          outputs: [output],
        });
      } else if (layer.kind === 'layer-norm') {
        initializers.push(
          {
            name: `${layer.name}.scale`,
            data: new Float32Array(layer.outputWidth).fill(1),
            shape: [layer.outputWidth],
          },
          {
            name: `${layer.name}.bias`,
            data: new Float32Array(layer.outputWidth),
            shape: [layer.outputWidth],
          },
        );
        nodes.push({
          name: layer.name,
          opType: 'LayerNormalization',
          inputs: [current, `${layer.name}.scale`, `${layer.name}.bias`],
          outputs: [output],
          attributes: { axis: -1, epsilon: 1e-5 },
        });
      } else {
        nodes.push({
          name: layer.name,
          opType: activationOps[layer.kind],
          inputs: [current],
          outputs: [output],
        });
      }
      current = output;
    }
    const inputWidth = (this.layers[from] as SequentialLayer).inputWidth;
    const inputs: SuffixGraph['inputs'][number][] = [
      { name: 'input', dtype: 'float32', shape: ['batch', inputWidth] },
    ];
    const outputs = ['prediction'];
    if (options.withLoss ?? true) {
      const lastWidth = (this.layers[to - 1] as SequentialLayer).outputWidth;
      inputs.push(this.targetInput(lastWidth));
      nodes.push({
        name: 'loss',
        opType: lossOps[this.loss],
        inputs: ['prediction', 'target'],
        outputs: ['loss'],
      });
      outputs.push('loss');
    }
    return { name: `sequential[${from},${to})`, inputs, initializers, nodes, outputs };
  }

  /** Targets of a batch of labels, as the loss reads them. */
  encodeTargets(labels: readonly EditLabel[]): { data: Float32Array | Int32Array; shape: Shape } {
    const width = this.outputWidth;
    if (this.loss === 'softmax-cross-entropy') {
      return { data: Int32Array.from(labels, (label) => classId(label, width)), shape: [labels.length] };
    }
    if (this.loss === 'sigmoid-cross-entropy') {
      return { data: Float32Array.from(labels, (label) => classId(label, 2)), shape: [labels.length, 1] };
    }
    const data = new Float32Array(labels.length * width);
    labels.forEach((label, row) => {
      if (!Array.isArray(label) || label.length !== width) {
        throw new GraceError(
          'INVALID_ARGUMENT',
          `a mean-squared-error label is an array of ${width} numbers`,
          { label },
        );
      }
      data.set(label, row * width);
    });
    return { data, shape: [labels.length, width] };
  }

  /** Labels from the `prediction` output `[B, outputWidth]`. */
  decodePredictions(prediction: Float32Array, shape: Shape): EditLabel[] {
    const [batch, width] = shape as [number, number];
    return Array.from({ length: batch }, (_, row) => {
      const logits = prediction.subarray(row * width, (row + 1) * width);
      if (this.loss === 'sigmoid-cross-entropy') return (logits[0] as number) > 0 ? 1 : 0;
      if (this.loss === 'mean-squared-error') return Array.from(logits);
      let best = 0;
      for (let index = 1; index < width; index++)
        if ((logits[index] as number) > (logits[best] as number)) best = index;
      return best;
    });
  }

  private targetInput(width: number): SuffixGraph['inputs'][number] {
    if (this.loss === 'softmax-cross-entropy') return { name: 'target', dtype: 'int32', shape: ['batch'] };
    return {
      name: 'target',
      dtype: 'float32',
      shape: ['batch', this.loss === 'sigmoid-cross-entropy' ? 1 : width],
    };
  }
}

const lossOps: Record<SequentialLoss, SuffixOpType> = {
  'softmax-cross-entropy': 'SoftmaxCrossEntropyLoss',
  'sigmoid-cross-entropy': 'SigmoidCrossEntropyLoss',
  'mean-squared-error': 'MeanSquaredErrorLoss',
};

/** `[rows, columns]` row-major → `[columns, rows]` row-major. */
function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const transposed = new Float32Array(data.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      transposed[column * rows + row] = data[row * columns + column] as number;
  return transposed;
}

/** Refuses empty and duplicate layer names: a name must pick one layer. */
function checkLayerNames(layers: readonly SequentialLayer[]): readonly SequentialLayer[] {
  const seen = new Set<string>();
  for (const [index, layer] of layers.entries()) {
    if (layer.name === '' || seen.has(layer.name)) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `layer ${index}: the name ${JSON.stringify(layer.name)} is ${layer.name === '' ? 'empty' : 'already taken'}`,
        { layer: index },
      );
    }
    seen.add(layer.name);
  }
  return layers;
}

function classId(label: EditLabel, classes: number): number {
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classes) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `label ${JSON.stringify(label)} is not a class id in [0, ${classes})`,
      { label },
    );
  }
  return label;
}
