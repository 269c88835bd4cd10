export * from './lande/lande-editable-model.js';
export * from './lande/lande-featurizer.js';
export * from './lande/load-lande-model.js';
export * from './mnist/load-mnist.js';
export * from './synthetic/synthetic-clusters.js';
export * from './text-digest.js';
export * from './udhr/udhr-declarations.js';
export * from './udhr/udhr-snippets.js';
