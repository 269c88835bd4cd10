import type { ServedModelFactory } from './served-model.js';
import { createSyntheticServedModel } from './synthetic-served-model.js';

/**
 * The models `--model` can name. lande is imported only when chosen, so the synthetic model starts without
 * loading it. Making lande the default is one line: {@link defaultServedModelName}.
 */
export const servedModelFactories: Readonly<Record<string, ServedModelFactory>> = {
  synthetic: createSyntheticServedModel,
  lande: async (context) => (await import('./lande-served-model.js')).createLandeServedModel(context),
};

export const defaultServedModelName = 'synthetic';
