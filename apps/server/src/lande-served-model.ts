import { landeEditableModel, loadLandeModel } from '@grace/models';
import { InputError } from './input-error.js';
import type { ServedModel, ServedModelContext } from './served-model.js';

/** Longest text accepted: lande reads character n-gram frequencies, a paragraph is plenty. */
const maximumTextLength = 4000;

/**
 * lande, the real 50-language identification network of `@grace/models`, served over raw text with ISO
 * 639-3 labels, edited at `dense1` with ε_init 0.25 — the best setting of the lifelong run in the README
 * (ERR 97%, TRR kept). Loaded lazily by `--model lande`, so the synthetic default pulls in nothing of it.
 */
export async function createLandeServedModel(context: ServedModelContext): Promise<ServedModel<string>> {
  const lande = await loadLandeModel();
  return {
    name: 'lande',
    description: 'lande 1.0.10, language identification (620 n-grams → 120 → 50 languages), edited at dense1',
    model: landeEditableModel(lande, 'dense1'),
    inputSchema: { type: 'string', minLength: 1, maxLength: maximumTextLength, description: 'a text' },
    labels: lande.languages,
    editorOptions: { epsInit: 0.25, seed: context.seed, training: { iterations: 100, learningRate: 1.0 } },
    exampleInputs: ['Tämä on suomea', 'Dies ist ein deutscher Satz', 'Ceci est une phrase en français'],
    toModelInput(json, field) {
      if (typeof json !== 'string' || json.length === 0 || json.length > maximumTextLength) {
        throw new InputError(
          'INVALID_INPUT',
          field,
          `must be a text of 1 to ${maximumTextLength} characters`,
        );
      }
      return json;
    },
  };
}
