import type { ServedModelFactory } from './served-model.js';
import { createSyntheticServedModel } from './synthetic-served-model.js';

/**
 * The models `--model` can name. lande, the real deployed model, is the default; it is imported only when
 * chosen, so the synthetic model starts without loading it.
 */
export const servedModelFactories: Readonly<Record<string, ServedModelFactory>> = {
  synthetic: createSyntheticServedModel,
  lande: async (context) => (await import('./lande-served-model.js')).createLandeServedModel(context),
};

export const defaultServedModelName = 'lande';
