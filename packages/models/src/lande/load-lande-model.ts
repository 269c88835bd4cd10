import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GraceError, SequentialModel } from '@grace/core';
import { NeuralNetwork } from 'toygrad';
import { featurizeLandeText, type LandeNgramVocabulary } from './lande-featurizer.js';

/**
 * lande 1.0.10 (MIT), a real pretrained language-identification network: 620 character n-gram frequencies →
 * dense 120 → ReLU → dense 50 → softmax over 50 languages. Its weights ship in the npm package in toygrad's
 * encoded format; toygrad itself decodes them and we read the layers' arrays into a {@link SequentialModel}
 * (`dense0` = dense 620→120, `relu0`, `dense1` = dense 120→50: the names every API uses for these layers; the
 * indices 0 and 2 are accepted too), so the same network runs on every
 * GRACE backend and can be cut at either dense layer.
 */
export interface LandeModel {
  readonly model: SequentialModel;
  /** ISO 639-3 codes of the 50 output classes, in output order. */
  readonly languages: readonly string[];
  readonly vocabulary: LandeNgramVocabulary;
  /** The model input of a text. */
  featurize(text: string): Float32Array;
}

/** The file names inside lande's `standalone/` folder that hold the model's data. */
const landeFiles = { options: 't50-options.js', languages: 't50-langs.js', ngrams: 't50-ngrams.js' } as const;

interface ToygradDense {
  readonly filters: readonly { readonly w: Float32Array }[];
  readonly biases: { readonly w: Float32Array };
}

/** Reads lande's data modules by path: the package exports only its entry point. */
async function importLandeData<T>(file: string): Promise<T> {
  const entry = fileURLToPath(import.meta.resolve('lande'));
  const module = (await import(pathToFileURL(join(dirname(entry), file)).href)) as { default: T };
  return module.default;
}

/** toygrad's per-output filters `[out][in]` as one `[out, in]` weight (PyTorch's layout) and the bias. */
function denseWeights(layer: ToygradDense): { weight: Float32Array; bias: Float32Array } {
  const inputs = layer.filters[0]?.w.length ?? 0;
  const weight = new Float32Array(inputs * layer.filters.length);
  for (const [output, filter] of layer.filters.entries()) weight.set(filter.w, output * inputs);
  return { weight, bias: Float32Array.from(layer.biases.w) };
}

let cached: Promise<LandeModel> | undefined;

/** Loads lande's network, languages and n-gram vocabulary from the installed package (once per process). */
export function loadLandeModel(): Promise<LandeModel> {
  cached ??= (async () => {
    const [options, languages, vocabulary] = await Promise.all([
      importLandeData<{ layers: unknown[] }>(landeFiles.options),
      importLandeData<string[]>(landeFiles.languages),
      importLandeData<LandeNgramVocabulary>(landeFiles.ngrams),
    ]);
    const network = new NeuralNetwork(
      options as ConstructorParameters<typeof NeuralNetwork>[0],
    ) as unknown as {
      layers: readonly unknown[];
    };
    const types = (options.layers as { type: string }[]).map((layer) => layer.type).join(',');
    if (types !== 'input,dense,relu,dense,softmax') {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `lande's network changed shape (${types}); this loader reads input,dense,relu,dense,softmax`,
      );
    }
    const first = denseWeights(network.layers[1] as ToygradDense);
    const second = denseWeights(network.layers[3] as ToygradDense);
    const model = SequentialModel.fromWeights({
      inputWidth: first.weight.length / first.bias.length,
      loss: 'softmax-cross-entropy',
      weightLayout: 'out-in',
      layers: [
        { kind: 'dense', name: 'dense0', ...first },
        { kind: 'relu', name: 'relu0' },
        { kind: 'dense', name: 'dense1', ...second },
      ],
    });
    return {
      model,
      languages,
      vocabulary,
      featurize: (text: string) => featurizeLandeText(text, vocabulary),
    };
  })();
  return cached;
}
