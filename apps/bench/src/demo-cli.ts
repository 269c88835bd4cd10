#!/usr/bin/env node
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import { runCodebookDemo } from './codebook-demo.js';
import { parseDecoderBaselines } from './experiments/generation/decoder-baselines.js';
import { runDecoderFactsCommand } from './experiments/generation/decoder-facts-command.js';
import { runLandeCommand } from './experiments/lifelong/lande-command.js';
import { runMnistCommand } from './experiments/lifelong/mnist-command.js';
import { parseSotuArguments, runSotuCommand, sotuOptions } from './experiments/lifelong/sotu-command.js';
import { runSpamCommand } from './experiments/lifelong/spam-command.js';
import { runSpamTokenCommand } from './experiments/lifelong/spam-token-command.js';
import { runSyntheticCommand } from './experiments/synthetic-command.js';
import { formatOptionHelp, parsePositiveInteger, parsePositiveNumber } from './parse-arguments.js';
import { createTfjsBenchmarkBackend } from './tfjs-backends.js';
import { UsageError } from './usage-error.js';

/**
 * `pnpm demo [lande|mnist|spam|spam-token|sotu|synthetic|codebook|generate]`: the project's main job is
 * `lande`, GRACE fixing a real deployed model's real mistakes; `mnist` is the label-shift run; `spam` is the SpamAssassin drift
 * run with a sentence encoder (`spam-token`: edited inside its transformer at token level); `sotu` is State of
 * the Union sentences by party on the same encoder, at both edit points (`--edit-point pooled|token|both`,
 * `--edits N`); `synthetic` is the paper's small 2-D experiment; `codebook` walks the rules; `generate` edits
 * the facts a small GPT-2 hallucinates (`--facts N` streams only the first N facts).
 */
const resultsDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');
const demos: Record<string, (argumentList: readonly string[]) => Promise<unknown>> = {
  lande: () => runLandeCommand(createCpuBackend(), resultsDirectory),
  mnist: () => runMnistCommand(createCpuBackend(), resultsDirectory),
  spam: () => runSpamCommand(createCpuBackend(), resultsDirectory),
  // Token-level value training makes a pass over every token per step: on tfjs wasm, like the transformer.
  'spam-token': async () => runSpamTokenCommand(await createTfjsBenchmarkBackend('wasm'), resultsDirectory),
  sotu: async (argumentList) => {
    const overrides = parseSotuArguments(argumentList);
    return runSotuCommand(await createTfjsBenchmarkBackend('wasm'), resultsDirectory, overrides);
  },
  synthetic: () => runSyntheticCommand(createCpuBackend(), resultsDirectory),
  codebook: () => runCodebookDemo(createCpuBackend(), (line) => console.log(line)),
  generate: (argumentList) =>
    runDecoderFactsCommand(createCpuBackend(), resultsDirectory, generateOptions(argumentList)),
};
const [requested = 'lande', ...argumentList] = process.argv.slice(2).filter((argument) => argument !== '--');

/**
 * Options of `pnpm demo generate`: `--facts N` streams only the first N facts; `--settings 15:1,14:3` the GRACE
 * settings as linear-layer:ε pairs (15 is h.3.mlp.c_proj, 16 the language-model head); `--soft-radius R` runs the
 * soft memory at radius R (`none`, the default: only when `--baselines` names it, at the first setting's ε);
 * `--replacement last|all|span`; `--span-length S` the tokens of a `span` value (default: the longest fact
 * continuation); `--name` the results' file name; `--baselines fine-tuning,soft-memory` the baselines at the first
 * setting's layer (`--fine-tuning-lr` fine-tuning's Adam learning rate, default 1e-3).
 */
function generateOptions(argumentList: readonly string[]): Parameters<typeof runDecoderFactsCommand>[2] {
  const value = (name: string) => {
    const index = argumentList.indexOf(name);
    return index < 0 ? undefined : (argumentList[index + 1] ?? '');
  };
  const facts = value('--facts');
  const settings = value('--settings');
  const softRadius = value('--soft-radius');
  const name = value('--name');
  const replacement = value('--replacement');
  const baselines = value('--baselines');
  const fineTuningLearningRate = value('--fine-tuning-lr');
  const spanLength = value('--span-length');
  if (replacement !== undefined && replacement !== 'last' && replacement !== 'all' && replacement !== 'span')
    throw new UsageError(`--replacement must be last, all or span, got '${replacement}'`);
  return {
    ...(replacement === undefined ? {} : { replacement }),
    ...(spanLength === undefined ? {} : { spanLength: parsePositiveInteger(spanLength, '--span-length') }),
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
    ...(baselines === undefined ? {} : { baselines: parseDecoderBaselines(baselines) }),
    ...(fineTuningLearningRate === undefined
      ? {}
      : { fineTuningLearningRate: parsePositiveNumber(fineTuningLearningRate, 'fine-tuning-lr') }),
  };
}
const demo = demos[requested];
if (demo === undefined) {
  console.error(`unknown demo '${requested}'; available: ${Object.keys(demos).join(', ')}`);
  process.exitCode = 2;
} else if (requested !== 'sotu' && requested !== 'generate' && argumentList.length > 0) {
  console.error(`demo '${requested}' takes no options, got ${argumentList.join(' ')}`);
  process.exitCode = 2;
} else {
  try {
    await demo(argumentList);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = requested === 'sotu' ? `\noptions of 'sotu':\n${formatOptionHelp(sotuOptions)}` : '';
    console.error(`${error.message}${help}`);
    process.exitCode = 2;
  }
}
