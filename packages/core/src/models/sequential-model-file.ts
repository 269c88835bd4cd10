import { GraceError, type GraceErrorCode, type GraceErrorDetails } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type NamedFloat32Tensor } from '../safetensors.js';
import { type SequentialActivation, type SequentialLoss, SequentialModel } from './sequential-model.js';

/**
 * The sequential-model file: safetensors layout (so the weights open in any safetensors reader) with one
 * float32 tensor per dense weight (`<layer name>.weight`, `[inputWidth, outputWidth]`) and bias
 * (`<layer name>.bias`, `[outputWidth]`), and the architecture in the metadata: `format`
 * (`grace-sequential-model`), `version` (`1`) and `model`, a JSON object `{ inputWidth, loss, layers: [{ kind,
 * name }] }`. A trained model saved this way loads back with identical weights, names and loss.
 */
const formatName = 'grace-sequential-model';
const formatVersion = '1';
/** Layer kinds without weights in the file (layer normalization has a fixed scale 1 and bias 0). */
const weightlessKinds: readonly string[] = ['relu', 'tanh', 'sigmoid', 'gelu', 'layer-norm'];
const losses: readonly string[] = ['softmax-cross-entropy', 'sigmoid-cross-entropy', 'mean-squared-error'];

/** The bytes of a sequential-model file for `model`. */
export function encodeSequentialModel(model: SequentialModel): Uint8Array {
  const tensors: NamedFloat32Tensor[] = model.layers.flatMap((layer) =>
    layer.kind === 'dense'
      ? [
          {
            name: `${layer.name}.weight`,
            shape: [layer.inputWidth, layer.outputWidth],
            data: layer.weight as Float32Array,
          },
          { name: `${layer.name}.bias`, shape: [layer.outputWidth], data: layer.bias as Float32Array },
        ]
      : [],
  );
  const architecture = {
    inputWidth: model.inputWidth,
    loss: model.loss,
    layers: model.layers.map((layer) => ({ kind: layer.kind, name: layer.name })),
  };
  return encodeSafetensors(tensors, {
    format: formatName,
    version: formatVersion,
    model: JSON.stringify(architecture),
  });
}

/**
 * A model from the bytes of a sequential-model file, checked before anything is built. The weights are
 * copied, so the model does not keep `bytes` alive.
 *
 * @throws GraceError `FILE_TRUNCATED` / `FILE_HEADER_INVALID` for a damaged file or one of another format,
 *   `FILE_VERSION_UNSUPPORTED` for another version, `FILE_CONTENT_INVALID` for a missing, extra or misshapen
 *   tensor or an unknown layer kind or loss.
 */
export function decodeSequentialModel(bytes: Uint8Array): SequentialModel {
  const { metadata, tensors } = decodeSafetensors(bytes);
  if (metadata.format !== formatName) fail('FILE_HEADER_INVALID', `not a ${formatName} file`);
  if (metadata.version !== formatVersion) {
    fail('FILE_VERSION_UNSUPPORTED', `version ${String(metadata.version)} is not ${formatVersion}`, {
      version: metadata.version,
    });
  }
  const architecture = parseArchitecture(metadata.model);
  let width = architecture.inputWidth;
  let used = 0;
  const layers = architecture.layers.map((layer) => {
    if (layer.kind !== 'dense')
      return { kind: layer.kind as SequentialActivation | 'layer-norm', name: layer.name };
    const bias = tensors.get(`${layer.name}.bias`);
    const weight = tensors.get(`${layer.name}.weight`);
    if (bias === undefined || weight === undefined || bias.shape.length !== 1)
      fail('FILE_CONTENT_INVALID', `layer ${layer.name}: weight or bias missing`, { layer: layer.name });
    const units = bias.shape[0] as number;
    if (weight.shape.length !== 2 || weight.shape[0] !== width || weight.shape[1] !== units) {
      fail(
        'FILE_CONTENT_INVALID',
        `layer ${layer.name}: weight shape [${weight.shape}] is not [${width}, ${units}]`,
        {
          layer: layer.name,
        },
      );
    }
    width = units;
    used += 2;
    return {
      kind: 'dense' as const,
      name: layer.name,
      weight: Float32Array.from(weight.data),
      bias: Float32Array.from(bias.data),
    };
  });
  if (used !== tensors.size)
    fail('FILE_CONTENT_INVALID', `${tensors.size - used} tensors belong to no layer`);
  return SequentialModel.fromWeights({
    inputWidth: architecture.inputWidth,
    loss: architecture.loss,
    layers,
  });
}

interface Architecture {
  readonly inputWidth: number;
  readonly loss: SequentialLoss;
  readonly layers: readonly { readonly kind: string; readonly name: string }[];
}

function parseArchitecture(text: string | undefined): Architecture {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    fail('FILE_HEADER_INVALID', 'the model description is not JSON');
  }
  const candidate = parsed as Partial<Record<keyof Architecture, unknown>> | null;
  const inputWidth = candidate?.inputWidth;
  if (typeof inputWidth !== 'number' || !Number.isInteger(inputWidth) || inputWidth < 1)
    fail('FILE_CONTENT_INVALID', 'inputWidth is not a positive integer');
  if (typeof candidate?.loss !== 'string' || !losses.includes(candidate.loss))
    fail('FILE_CONTENT_INVALID', `unknown loss ${JSON.stringify(candidate?.loss)}`);
  const layers = candidate.layers;
  if (
    !Array.isArray(layers) ||
    !layers.every(
      (layer: { kind?: unknown; name?: unknown } | null) =>
        typeof layer?.name === 'string' &&
        (layer.kind === 'dense' || weightlessKinds.includes(layer.kind as string)),
    )
  )
    fail('FILE_CONTENT_INVALID', 'layers is not a list of { kind, name } with known kinds');
  return { inputWidth, loss: candidate.loss as SequentialLoss, layers };
}

function fail(code: GraceErrorCode, message: string, details?: GraceErrorDetails): never {
  throw new GraceError(code, message, details);
}
