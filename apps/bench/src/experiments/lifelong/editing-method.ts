import type { EditLabel } from '@grace/core';

/**
 * One way of correcting a deployed model, as the lifelong protocol sees it: predict, and fix one error.
 * GRACE, continual fine-tuning and the unedited model all fit, so they run on the same stream side by side.
 */
export interface EditingMethod<Input> {
  readonly name: string;
  predict(inputs: readonly Input[]): Promise<EditLabel[]>;
  /** Fixes one error; says whether the input is predicted right afterwards (ES) and how long it took. */
  edit(example: {
    readonly input: Input;
    readonly label: EditLabel;
  }): Promise<{ readonly fixed: boolean; readonly milliseconds: number }>;
  /** Keys held by the method's memory, or null for methods without one. */
  keys(): number | null;
  dispose(): void;
}
