export * from './country-facts.js';
export * from './decoder-files.js';
export * from './decoder-manifest.js';
export * from './decoder-perplexity.js';
export * from './decoder-session.js';
export * from './held-out-speeches.js';
export * from './word-tokenizer.js';
