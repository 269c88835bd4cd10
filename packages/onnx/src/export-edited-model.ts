import { writeFile } from 'node:fs/promises';
import {
  type Codebook,
  GraceError,
  type GraceLayerOptions,
  type KeyToken,
  layerValueDimension,
  type ReplacementMode,
  replacedTokenMask,
} from '@grace/core';
import { loadCodebook, saveCodebook } from '@grace/core/node';
import type { OnnxEditableModel } from './load-onnx-model.js';
import { boolTensor, floatTensor, integerTensor, onnxNode } from './onnx-model-builder.js';
import { type OnnxNodeProto, type OnnxTensorProto, onnx } from './onnx-proto-types.js';
import { paddedKeyTokenNodes } from './padded-key-token-nodes.js';
import { encodeOnnxModel } from './read-onnx-model.js';

/** Where an export put things, and whether the single-graph form could be built. */
export interface EditedModelExport {
  /** The original model, unchanged. */
  readonly onnxPath: string;
  /** The codebook beside it (always written): load it with {@link loadOnnxCodebook}. */
  readonly codebookPath: string;
  /** The one-file model with the lookup built in, or why it could not be built. */
  readonly singleGraph: { readonly path: string } | { readonly error: string };
}

/** `model.onnx` → `model.grace`: the codebook file that belongs to an exported model. */
export function codebookPathFor(onnxPath: string): string {
  return `${onnxPath.replace(/\.onnx$/i, '')}.grace`;
}

/** `model.onnx` → `model.grace.onnx`: the single graph with the codebook lookup built in. */
export function singleGraphPathFor(onnxPath: string): string {
  return `${onnxPath.replace(/\.onnx$/i, '')}.grace.onnx`;
}

/**
 * Writes an edited model: the original ONNX file and the codebook beside it (the form every GRACE loader reads
 * back, with rollback and edit records intact), and, when the edit point allows it, one ONNX graph with the
 * lookup built in so that plain onnxruntime in any language serves the edited model. The single graph is
 * attempted and its failure reported, never thrown: the codebook file is the required artefact.
 *
 * `edited` is a `GraceEditor` (its codebook, and its layer's replacement mode and key token), or just a codebook
 * with those settings.
 */
export async function exportEditedModel(
  model: OnnxEditableModel,
  edited: { readonly codebook: Codebook; readonly layer?: SingleGraphLayerOptions },
  onnxPath: string,
): Promise<EditedModelExport> {
  const { codebook } = edited;
  const codebookPath = codebookPathFor(onnxPath);
  await writeFile(onnxPath, encodeOnnxModel(model.cut.model.proto));
  await saveCodebook(codebook, codebookPath);
  let singleGraph: EditedModelExport['singleGraph'];
  try {
    const path = singleGraphPathFor(onnxPath);
    await writeFile(path, buildSingleGraphModel(model, codebook, edited.layer));
    singleGraph = { path };
  } catch (error) {
    singleGraph = { error: (error as Error).message };
  }
  return { onnxPath, codebookPath, singleGraph };
}

/**
 * Reads the codebook exported beside an ONNX file, refusing one made for another layer or shape. A codebook
 * of replacement `span` holds `spanLength` vectors per value: pass the layer's settings to expect that width.
 */
export async function loadOnnxCodebook(
  model: OnnxEditableModel,
  onnxPath: string,
  layer: GraceLayerOptions = {},
): Promise<Codebook> {
  return loadCodebook(codebookPathFor(onnxPath), {
    keyDimension: model.keyDimension,
    valueDimension: layerValueDimension(model.valueDimension, layer),
    layerId: model.layerId,
  });
}

/** How the edited layer reads its query and places its value: `GraceLayer`'s settings (its defaults here). */
export interface SingleGraphLayerOptions {
  readonly replacement?: ReplacementMode;
  readonly keyToken?: KeyToken;
}

/**
 * The original model with GRACE's deferral spliced in after the edited layer, from standard ops only:
 * `d² = ReduceSum((q − K)², keys axis)`, `i = ArgMin(d²)`, `hit = sqrt(min d²) ≤ radius[i]`,
 * `output = Where(hit, values[i], frozen output)`. Each op in the form of the model's own opset (axes as
 * attributes before 13/18, Not(Greater) before LessOrEqual existed). For `[B, T, D]` layers the query is the
 * key token's row (`Gather`) or the token mean (`ReduceMean`), and a constant `[1, T, 1]` token mask (from the
 * replacement mode) is and-ed with the hit, so the sequence length must be fixed. With an attention mask the key
 * position, query and replaced tokens are computed per row from it instead (see `paddedKeyTokenNodes`), as
 * `runPrefix` reads padded batches.
 */
export function buildSingleGraphModel(
  model: OnnxEditableModel,
  codebook: Codebook,
  layer: SingleGraphLayerOptions = {},
): Uint8Array {
  const { editPoint } = model.cut;
  if (layer.replacement === 'span') {
    throw new GraceError(
      'UNSUPPORTED_OP',
      "the single graph does not place a span of values (replacement 'span'); serve the codebook file instead",
      { replacement: layer.replacement },
    );
  }
  const opset = model.cut.model.opset;
  const sequence = editPoint.inputShape.length === 3;
  const tokens = editPoint.outputShape[1];
  if (sequence && typeof tokens !== 'number') {
    throw new GraceError(
      'UNSUPPORTED_OP',
      `single-graph export needs a fixed sequence length; '${editPoint.name}' has [${editPoint.outputShape.join(', ')}]`,
      { editAt: editPoint.name },
    );
  }
  const proto = onnx.ModelProto.create(model.cut.model.proto);
  if (codebook.size === 0) return encodeOnnxModel(proto);
  const graph = onnx.GraphProto.create(proto.graph ?? {});
  const keyCount = codebook.size;
  const frozen = 'grace/frozen-output';
  const name = (suffix: string): string => `grace/${suffix}`;
  const axesInputs: OnnxTensorProto[] = [];
  const reduce = (op: string, input: string, output: string, axis: number, since: number): OnnxNodeProto => {
    if (opset < since) return onnxNode(op, [input], [output], { axes: [axis], keepdims: 0 });
    const axes = name(`${output}.axes`);
    axesInputs.push(integerTensor(axes, [axis]));
    return onnxNode(op, [input, axes], [output], { keepdims: 0 });
  };
  const keyToken = layer.keyToken ?? 'last';
  const replacement = layer.replacement ?? 'all';
  const tokenCount = typeof tokens === 'number' ? tokens : 1;
  const keyPosition =
    typeof keyToken === 'object'
      ? keyToken.index < 0
        ? tokenCount + keyToken.index
        : keyToken.index
      : tokenCount - 1;
  // A right-padded batch: key positions and replaced tokens per row from the attention mask, as `runPrefix`.
  const padded =
    sequence && model.attentionMask !== undefined
      ? paddedKeyTokenNodes({
          attentionMask: model.attentionMask,
          layerInput: editPoint.input,
          tokens: tokenCount,
          keyToken,
          replacement,
          reduce,
          opset,
          prefix: name('padded/'),
        })
      : undefined;
  const query: OnnxNodeProto[] = padded
    ? [...padded.nodes, onnxNode('Identity', [name('padded/query.rows')], [name('query.rows')])]
    : !sequence
      ? [onnxNode('Identity', [editPoint.input], [name('query.rows')])]
      : keyToken === 'mean'
        ? [reduce('ReduceMean', editPoint.input, name('query.rows'), 1, 18)]
        : [onnxNode('Gather', [editPoint.input, name('key.position')], [name('query.rows')], { axis: 1 })];
  const hitColumn = sequence
    ? [
        onnxNode('Reshape', [name('hit'), name('hit.shape')], [name('hit.column')]),
        onnxNode(
          'And',
          [name('hit.column'), padded ? name('padded/token.mask') : name('token.mask')],
          [name('replace')],
        ),
      ]
    : [onnxNode('Reshape', [name('hit'), name('hit.shape')], [name('replace')])];
  const lookup: OnnxNodeProto[] = [
    ...query,
    onnxNode('Reshape', [name('query.rows'), name('query.shape')], [name('query')]),
    onnxNode('Sub', [name('query'), name('keys')], [name('difference')]),
    onnxNode('Mul', [name('difference'), name('difference')], [name('squared')]),
    reduce('ReduceSum', name('squared'), name('distance.squared'), 2, 13),
    onnxNode('ArgMin', [name('distance.squared')], [name('nearest')], { axis: 1, keepdims: 0 }),
    reduce('ReduceMin', name('distance.squared'), name('nearest.distance.squared'), 1, 18),
    onnxNode('Sqrt', [name('nearest.distance.squared')], [name('nearest.distance')]),
    onnxNode('Gather', [name('radii'), name('nearest')], [name('nearest.radius')], { axis: 0 }),
    ...(opset >= 12
      ? [onnxNode('LessOrEqual', [name('nearest.distance'), name('nearest.radius')], [name('hit')])]
      : [
          onnxNode('Greater', [name('nearest.distance'), name('nearest.radius')], [name('miss')]),
          onnxNode('Not', [name('miss')], [name('hit')]),
        ]),
    ...hitColumn,
    onnxNode('Gather', [name('values'), name('nearest')], [name('nearest.value.rows')], { axis: 0 }),
    onnxNode('Reshape', [name('nearest.value.rows'), name('value.shape')], [name('nearest.value')]),
    onnxNode('Where', [name('replace'), name('nearest.value'), frozen], [editPoint.output]),
  ];
  const nodes = [...(graph.node ?? [])];
  const position = nodes.findIndex((node) => node.output?.[0] === editPoint.output);
  const edited = onnx.NodeProto.create(nodes[position] ?? {});
  edited.output = [frozen, ...(edited.output ?? []).slice(1)];
  nodes.splice(position, 1, edited, ...lookup);
  graph.node = nodes;
  const mask = replacedTokenMask(replacement, tokenCount, keyPosition);
  graph.initializer = [
    ...(graph.initializer ?? []),
    floatTensor(name('keys'), codebook.keysView().subarray(0, keyCount * codebook.keyDimension), [
      keyCount,
      codebook.keyDimension,
    ]),
    floatTensor(name('values'), codebook.valuesView().subarray(0, keyCount * codebook.valueDimension), [
      keyCount,
      codebook.valueDimension,
    ]),
    floatTensor(name('radii'), codebook.radiiView().subarray(0, keyCount), [keyCount]),
    integerTensor(name('query.shape'), [0, 1, -1]),
    integerTensor(name('hit.shape'), sequence ? [-1, 1, 1] : [-1, 1]),
    integerTensor(name('value.shape'), sequence ? [0, 1, -1] : [0, -1]),
    ...(padded?.initializers ?? []),
    ...(sequence && padded === undefined
      ? [
          integerTensor(name('key.position'), [keyPosition], []),
          boolTensor(
            name('token.mask'),
            Array.from(mask, (flag) => flag === 1),
            [1, tokenCount, 1],
          ),
        ]
      : []),
    ...axesInputs,
  ];
  proto.graph = graph;
  return encodeOnnxModel(proto);
}
