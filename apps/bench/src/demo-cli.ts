#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import { runCodebookDemo } from './codebook-demo.js';
import { runSyntheticCommand } from './experiments/synthetic-command.js';

/** `pnpm demo [synthetic|codebook]`: the project's main job; `synthetic` until the real-model run lands. */
const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const demos: Record<string, () => Promise<unknown>> = {
  synthetic: () => runSyntheticCommand(createCpuBackend(), resultsDirectory),
  codebook: () => runCodebookDemo(createCpuBackend(), (line) => console.log(line)),
};
const [requested = 'synthetic'] = process.argv.slice(2).filter((argument) => argument !== '--');
const demo = demos[requested];
if (demo === undefined) {
  console.error(`unknown demo '${requested}'; available: ${Object.keys(demos).join(', ')}`);
  process.exitCode = 2;
} else {
  await demo();
}
