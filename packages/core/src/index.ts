export * from './backend.js';
export * from './errors.js';
export * from './kernel-arguments.js';
export * from './tensor.js';
