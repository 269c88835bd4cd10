import { type EditableModel, type EditLabel, editableSequentialModel, GraceError } from '@grace/core';
import { textDigest } from '../text-digest.js';
import type { LandeModel } from './load-lande-model.js';

/**
 * Where lande can be edited: `dense0` (keys are the 620 n-gram features, values the 120 hidden units) or
 * `dense1` (keys are the 120 hidden ReLU activations, values the 50 language logits).
 */
export type LandeEditLayer = 'dense0' | 'dense1';

/**
 * lande as an {@link EditableModel} over raw text: inputs are strings, labels are ISO 639-3 language codes
 * (the model's own 50), so an edit reads `{ input: 'Tämä on suomea', label: 'fin' }`.
 */
export function landeEditableModel(
  lande: LandeModel,
  editLayer: LandeEditLayer = 'dense1',
): EditableModel<string> {
  if (editLayer !== 'dense0' && editLayer !== 'dense1')
    throw new GraceError(
      'INVALID_ARGUMENT',
      `lande has no edit layer ${JSON.stringify(editLayer)}; use dense0 or dense1 (its layers are dense0, relu0, dense1)`,
      { editLayer },
    );
  const inner = editableSequentialModel(lande.model, editLayer);
  const classOf = new Map(lande.languages.map((language, position) => [language, position]));
  const toClass = (label: EditLabel): number => {
    const found = typeof label === 'string' ? classOf.get(label) : undefined;
    if (found === undefined) {
      throw new GraceError('INVALID_ARGUMENT', `${JSON.stringify(label)} is not one of lande's languages`, {
        label,
      });
    }
    return found;
  };
  return {
    ...inner,
    layerId: `lande.${editLayer}`,
    runPrefix: (backend, texts) =>
      inner.runPrefix(
        backend,
        texts.map((text) => lande.featurize(text)),
      ),
    encodeTargets: (backend, labels) => inner.encodeTargets(backend, labels.map(toClass)),
    decodePredictions: (prediction, shape) =>
      inner.decodePredictions(prediction, shape).map((label) => lande.languages[label as number] as string),
    digestInput: (text) => textDigest(text),
  };
}
