#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import { runCodebookDemo } from './codebook-demo.js';
import { runDecoderFactsCommand } from './experiments/generation/decoder-facts-command.js';
import { runLandeCommand } from './experiments/lifelong/lande-command.js';
import { runMnistCommand } from './experiments/lifelong/mnist-command.js';
import { runSpamCommand } from './experiments/lifelong/spam-command.js';
import { runSpamTokenCommand } from './experiments/lifelong/spam-token-command.js';
import { runSyntheticCommand } from './experiments/synthetic-command.js';
import { parsePositiveInteger } from './parse-arguments.js';
import { createTfjsBenchmarkBackend } from './tfjs-backends.js';

/**
 * `pnpm demo [lande|mnist|spam|spam-token|synthetic|codebook|generate]`: the project's main job is `lande`, GRACE fixing
 * a real deployed model's real mistakes; `mnist` is the label-shift run; `spam` is the SpamAssassin drift run
 * with a sentence encoder (`spam-token`: edited inside its transformer at token level); `synthetic` is the
 * paper's small 2-D experiment; `codebook` walks the rules; `generate` edits the facts a small GPT-2 hallucinates
 * (`--facts N` streams only the first N facts).
 */
const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const demos: Record<string, () => Promise<unknown>> = {
  lande: () => runLandeCommand(createCpuBackend(), resultsDirectory),
  mnist: () => runMnistCommand(createCpuBackend(), resultsDirectory),
  spam: () => runSpamCommand(createCpuBackend(), resultsDirectory),
  // Token-level value training makes a pass over every token per step: on tfjs wasm, like the transformer.
  'spam-token': async () => runSpamTokenCommand(await createTfjsBenchmarkBackend('wasm'), resultsDirectory),
  synthetic: () => runSyntheticCommand(createCpuBackend(), resultsDirectory),
  codebook: () => runCodebookDemo(createCpuBackend(), (line) => console.log(line)),
  generate: () => runDecoderFactsCommand(createCpuBackend(), resultsDirectory, generateOptions()),
};
const cliArguments = process.argv.slice(2).filter((argument) => argument !== '--');
const [requested = 'lande'] = cliArguments;

/**
 * Options of `pnpm demo generate`: `--facts N` streams only the first N facts; `--settings 15:1,14:3` the GRACE
 * settings as linear-layer:ε pairs (15 is h.3.mlp.c_proj); `--soft-radius R` the soft memory's radius (`none` skips it); `--replacement last|all`; `--name` the results'
 * file name.
 */
function generateOptions(): Parameters<typeof runDecoderFactsCommand>[2] {
  const value = (name: string) => {
    const index = cliArguments.indexOf(name);
    return index < 0 ? undefined : (cliArguments[index + 1] ?? '');
  };
  const facts = value('--facts');
  const settings = value('--settings');
  const softRadius = value('--soft-radius');
  const name = value('--name');
  const replacement = value('--replacement');
  return {
    ...(replacement === 'last' || replacement === 'all' ? { replacement } : {}),
    ...(facts === undefined ? {} : { facts: parsePositiveInteger(facts, '--facts') }),
    ...(settings === undefined
      ? {}
      : {
          settings: settings.split(',').map((pair) => {
            const [layer, epsInit] = pair.split(':').map(Number);
            return { layer: layer as number, epsInit: epsInit as number };
          }),
        }),
    ...(softRadius === undefined
      ? {}
      : { softMemoryRadius: softRadius === 'none' ? null : Number(softRadius) }),
    ...(name === undefined ? {} : { name }),
  };
}
const demo = demos[requested];
if (demo === undefined) {
  console.error(`unknown demo '${requested}'; available: ${Object.keys(demos).join(', ')}`);
  process.exitCode = 2;
} else {
  await demo();
}
