import { describe, expect, it } from 'vitest';
import { isGraceError } from '../errors.js';
import type { EditLabel } from '../labels.js';
import type { EditingMethod, LabelledExample } from './editing-method.js';
import { editScore, type LifelongProgressEvent, runLifelongProtocol } from './lifelong-protocol.js';

/**
 * A method over numbers whose base model answers `input % 2`, with a memory of edits that `remembers` decides
 * to keep (so that edits can fail, or be forgotten later, on purpose).
 */
function memoryMethod(options: {
  readonly remembers?: (input: number) => boolean;
  readonly forgetAfter?: number;
}): EditingMethod<number> & { readonly memory: Map<number, EditLabel> } {
  const memory = new Map<number, EditLabel>();
  let edits = 0;
  return {
    name: 'memory',
    memory,
    predict: async (inputs) => inputs.map((input) => memory.get(input) ?? input % 2),
    edit: async (example) => {
      edits++;
      if (options.forgetAfter !== undefined && edits > options.forgetAfter) memory.clear();
      if (options.remembers?.(example.input) ?? true) memory.set(example.input, example.label);
      return { fixed: true }; // a flag the protocol must not trust
    },
    keys: () => memory.size,
  };
}

const labelled = (pairs: readonly (readonly [number, EditLabel])[]): LabelledExample<number>[] =>
  pairs.map(([input, label]) => ({ input, label }));

describe('runLifelongProtocol', () => {
  // Inputs 1, 3, 5 are mistakes (base says 1, label 0); 2 and 4 are already right (base says 0).
  const data = {
    stream: labelled([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 0],
    ]),
    upstream: labelled([
      [10, 0],
      [11, 1],
    ]),
    holdout: labelled([[7, 0]]),
  };

  it('edits only the mistakes and reports ERR on the edited inputs, stream accuracy on all seen', async () => {
    const method = memoryMethod({});
    const run = await runLifelongProtocol(method, data, { checkpointEvery: 2 });
    expect(run.method).toBe('memory');
    expect(run.checkpoints.map((checkpoint) => checkpoint.processed)).toEqual([2, 4, 5]);
    const last = run.checkpoints.at(-1);
    expect(last).toMatchObject({ processed: 5, edits: 3, keys: 3, trr: 1, err: 1, es: 1, streamAccuracy: 1 });
    expect(last?.holdout).toBe(0);
    expect(editScore(run)).toBe(1);
  });

  it('judges ES through predict, not through what edit returns', async () => {
    const run = await runLifelongProtocol(memoryMethod({ remembers: (input) => input !== 3 }), data);
    const last = run.checkpoints.at(-1);
    expect(last?.edits).toBe(3);
    expect(last?.es).toBeCloseTo(2 / 3);
    expect(last?.err).toBeCloseTo(2 / 3);
    // Two already-right inputs keep the stream figure above ERR: the two are different measures.
    expect(last?.streamAccuracy).toBeCloseTo(4 / 5);
  });

  it('catches forgetting in ERR while ES stays perfect', async () => {
    const run = await runLifelongProtocol(memoryMethod({ forgetAfter: 1 }), data);
    const last = run.checkpoints.at(-1);
    expect(last?.es).toBe(1);
    // After the third edit only input 5 is remembered: 1 of 3 edits still holds.
    expect(last?.err).toBeCloseTo(1 / 3);
  });

  it('reports progress after every input with an estimate of the time left, and every checkpoint', async () => {
    const events: LifelongProgressEvent[] = [];
    await runLifelongProtocol(memoryMethod({}), data, {
      checkpointEvery: 5,
      onProgress: (event) => events.push(event),
    });
    const inputs = events.filter((event) => event.kind === 'input');
    expect(inputs.map((event) => event.processed)).toEqual([1, 2, 3, 4, 5]);
    expect(inputs.at(-1)).toMatchObject({ total: 5, edits: 3, remainingMilliseconds: 0 });
    expect(events.filter((event) => event.kind === 'checkpoint')).toHaveLength(1);
  });

  it('measures once on an empty stream and refuses a bad checkpoint interval', async () => {
    const run = await runLifelongProtocol(memoryMethod({}), { ...data, stream: [] });
    expect(run.checkpoints).toHaveLength(1);
    expect(run.checkpoints[0]).toMatchObject({ processed: 0, edits: 0, err: 1, es: 1, trr: 1 });
    await expect(runLifelongProtocol(memoryMethod({}), data, { checkpointEvery: 0 })).rejects.toSatisfy(
      (error: unknown) => isGraceError(error, 'INVALID_ARGUMENT'),
    );
  });

  it('compares sequence labels exactly', async () => {
    const method: EditingMethod<number> = {
      name: 'sequences',
      predict: async (inputs) => inputs.map(() => [1, 2]),
      edit: async () => undefined,
    };
    const run = await runLifelongProtocol(method, {
      stream: labelled([
        [0, [1, 2]],
        [1, [2, 1]],
      ]),
      upstream: [],
      holdout: [],
    });
    expect(run.checkpoints.at(-1)).toMatchObject({
      edits: 1,
      es: 0,
      err: 0,
      streamAccuracy: 0.5,
      keys: null,
    });
  });
});
