import type { ServedModelFactory } from './served-model.js';
import { createSyntheticServedModel } from './synthetic-served-model.js';

/**
 * The models `--model` can name. Serving lande by default is two lines: its factory here, and
 * {@link defaultServedModelName} set to its name.
 */
export const servedModelFactories: Readonly<Record<string, ServedModelFactory>> = {
  synthetic: createSyntheticServedModel,
};

export const defaultServedModelName = 'synthetic';
