import { type Codebook, type GraceBackend, GraceEditor } from '@grace/core';
import type { ServedModel } from './served-model.js';

/** An editor of the served model over `codebook`, with the model's GRACE settings (`iterations` overriding). */
export function servedEditor(
  servedModel: ServedModel,
  codebook: Codebook,
  backend: GraceBackend,
  iterations: number | undefined,
): GraceEditor<unknown> {
  const { editorOptions, model } = servedModel;
  const training =
    iterations === undefined ? editorOptions.training : { ...editorOptions.training, iterations };
  return new GraceEditor(model, {
    ...editorOptions,
    ...(training === undefined ? {} : { training }),
    backend,
    codebook,
  });
}
