export * from './spam/spam-assassin-emails.js';
export * from './spam/spam-filter-model.js';
export * from './spam/train-spam-filter.js';
export * from './use/load-use-lite-model.js';
export * from './use/pooled-embedding-cache.js';
export * from './use/use-lite-graph.js';
export * from './use/use-lite-io-handler.js';
export * from './use/use-tokenizer.js';
