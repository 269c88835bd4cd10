export { loadCodebook, saveCodebook } from './codebook-file-system.js';
export { loadSequentialModel, saveSequentialModel } from './sequential-model-file-system.js';
