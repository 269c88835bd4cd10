import { type EditableModel, GraceEditor, type GraceEditorOptions } from '@grace/core';
import type { EditingMethod } from './editing-method.js';

/** GRACE on one layer, as an {@link EditingMethod}. */
export function graceMethod<Input>(
  name: string,
  model: EditableModel<Input>,
  options: GraceEditorOptions,
): EditingMethod<Input> {
  const editor = new GraceEditor(model, options);
  return {
    name,
    predict: (inputs) => editor.predict(inputs),
    edit: async (example) => {
      const result = await editor.edit(example);
      return { fixed: result.fixed, milliseconds: result.milliseconds };
    },
    keys: () => editor.codebook.size,
    dispose: () => editor.dispose(),
  };
}

/** The model as deployed, never edited: the reference every method is compared with. */
export function uneditedMethod<Input>(
  model: EditableModel<Input>,
  options: GraceEditorOptions,
): EditingMethod<Input> {
  const editor = new GraceEditor(model, options);
  return {
    name: 'unedited',
    predict: (inputs) => editor.predict(inputs),
    edit: async () => ({ fixed: false, milliseconds: 0 }),
    keys: () => null,
    dispose: () => editor.dispose(),
  };
}
