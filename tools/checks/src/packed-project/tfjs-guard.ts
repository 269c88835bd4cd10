// `node --import ./tfjs-guard.js`: every later ESM resolution of a TensorFlow.js module fails.
import { register } from 'node:module';

register('./tfjs-guard-hooks.js', import.meta.url);
