import {
  type EditableModel,
  type EditingMethod,
  GraceEditor,
  type GraceEditorOptions,
  graceEditingMethod,
  uneditedEditingMethod,
} from '@grace/core';

/** GRACE on one layer, as an {@link EditingMethod} with its own fresh editor. */
export function graceMethod<Input>(
  name: string,
  model: EditableModel<Input>,
  options: GraceEditorOptions,
): EditingMethod<Input> {
  return graceEditingMethod(new GraceEditor(model, options), name);
}

/** The model as deployed, never edited: the reference every method is compared with. */
export function uneditedMethod<Input>(
  model: EditableModel<Input>,
  options: GraceEditorOptions,
): EditingMethod<Input> {
  const editor = new GraceEditor(model, options);
  return uneditedEditingMethod(
    (inputs) => editor.predict(inputs),
    () => editor.dispose(),
  );
}
