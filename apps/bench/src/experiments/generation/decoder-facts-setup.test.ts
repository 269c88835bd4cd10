import { expect, test } from 'vitest';
import { prepareDecoderFacts } from './decoder-facts-setup.js';

test('every fact streams once, in a seeded order, with its rephrased prompt and the true continuation as label', async () => {
  const setup = await prepareDecoderFacts({ seed: 7 });
  const again = await prepareDecoderFacts({ seed: 7 });
  const other = await prepareDecoderFacts({ seed: 8, facts: 100, upstreamTokens: 640 });
  expect(setup.stream).toHaveLength(1253);
  expect(setup.stream.map((example) => example.fact.prompt)).toEqual(
    again.stream.map((example) => example.fact.prompt),
  );
  expect(other.stream.map((example) => example.fact.prompt)).not.toEqual(
    setup.stream.slice(0, 100).map((example) => example.fact.prompt),
  );
  expect(other.stream).toHaveLength(100);
  const [first] = setup.stream;
  if (first === undefined) throw new Error('empty stream');
  expect(first.label).toEqual(first.input.continuation);
  expect(setup.tokenizer.decode(first.label as number[])).toBe(first.fact.continuation.replace(' .', '.'));
  const holdout = setup.holdoutOf.get(first.fact);
  expect(holdout?.label).toEqual(first.label);
  expect(holdout?.input.prompt).toEqual(setup.tokenizer.encode(first.fact.holdoutPrompt));
  expect(other.upstreamText).toHaveLength(10);
  for (const input of other.upstreamText) {
    expect([input.prompt.length, input.continuation?.length]).toEqual([32, 32]);
  }
});
