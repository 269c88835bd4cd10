export { loadCodebook, saveCodebook } from './codebook-file-system.js';
