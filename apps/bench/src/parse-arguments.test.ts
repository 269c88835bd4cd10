import { describe, expect, it } from 'vitest';
import { createBenchmarkBackends } from './backends.js';
import { defaultLookupConfig, quickLookupConfig } from './lookup-benchmark.js';
import { lookupCommand, resolveLookupSettings } from './lookup-command.js';
import { parseOptions, parsePositiveIntegerList, parsePositiveNumber } from './parse-arguments.js';
import { UsageError } from './usage-error.js';

const parseLookup = (argumentList: string[]) => parseOptions(argumentList, lookupCommand.options);

describe('parseOptions', () => {
  it('reads flags, `--name value` and `--name=value`', () => {
    const options = parseLookup(['--quick', '--runs', '7', '--keys=100,1e3']);
    expect([...options.flags]).toEqual(['quick']);
    expect(options.values.get('runs')).toBe('7');
    expect(options.values.get('keys')).toBe('100,1e3');
  });

  it('keeps a value that starts with one dash, and an inline value that starts with two', () => {
    expect(parseLookup(['--out', '-results.json']).values.get('out')).toBe('-results.json');
    expect(parseLookup(['--out=--odd.json']).values.get('out')).toBe('--odd.json');
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--runs'], /needs a value/],
    [['--runs', '--quick'], /needs a value/],
    [['--out='], /needs a value/],
    [['--quick=yes'], /takes no value/],
    [['--runs', '3', '--runs', '4'], /given twice/],
    [['stray'], /unexpected argument 'stray'/],
    [['--', '--quick'], /unexpected argument '--'/],
    [['-q'], /unknown option '-q'/],
  ])('refuses %j', (argumentList, message) => {
    expect(() => parseLookup(argumentList)).toThrow(UsageError);
    expect(() => parseLookup(argumentList)).toThrow(message);
  });
});

describe('parsePositiveIntegerList', () => {
  it('accepts plain and scientific notation', () => {
    expect(parsePositiveIntegerList('100, 1e3,100000', 'keys')).toEqual([100, 1000, 100000]);
  });

  it.each(['0', '-5', '1.5', 'abc', '', '100,', '1e400'])('refuses %j', (text) => {
    expect(() => parsePositiveIntegerList(text, 'keys')).toThrow(UsageError);
  });
});

describe('parsePositiveNumber', () => {
  it('accepts decimals and scientific notation', () => {
    expect(parsePositiveNumber(' 0.25', 'radius')).toBe(0.25);
    expect(parsePositiveNumber('1e-3', 'radius')).toBe(0.001);
  });

  it.each(['0', '-1', 'abc', '', '1e400'])('refuses %j', (text) => {
    expect(() => parsePositiveNumber(text, 'radius')).toThrow(UsageError);
  });
});

describe('resolveLookupSettings', () => {
  const now = new Date('2024-05-06T07:08:09.123Z');

  it('uses the full grid on cpu by default and a dated file under apps/bench/results', () => {
    const settings = resolveLookupSettings(parseLookup([]), now);
    expect(settings.config).toEqual(defaultLookupConfig);
    expect(settings.backendNames).toEqual(['cpu']);
    expect(settings.outPath).toMatch(/apps[/\\]bench[/\\]results[/\\]lookup-2024-05-06T07-08-09Z\.json$/);
  });

  it('lets --runs, --keys and --dims override the quick grid', () => {
    const settings = resolveLookupSettings(
      parseLookup(['--quick', '--dims', '8,16', '--out', 'x.json']),
      now,
    );
    expect(settings.config.runs).toBe(quickLookupConfig.runs);
    expect(settings.config.keyCounts).toEqual([100, 1000]);
    expect(settings.config.dims).toEqual([8, 16]);
    expect(settings.outPath).toBe('x.json');
    expect(resolveLookupSettings(parseLookup(['--quick', '--runs', '9']), now).config.runs).toBe(9);
  });

  it('takes the batch B from --batch and refuses a batch that is not a positive integer', () => {
    expect(resolveLookupSettings(parseLookup([]), now).config.batch).toBe(defaultLookupConfig.batch);
    expect(resolveLookupSettings(parseLookup(['--batch', '1']), now).config.batch).toBe(1);
    expect(() => resolveLookupSettings(parseLookup(['--batch', '0']), now)).toThrow(UsageError);
  });

  it('splits --backend into names', () => {
    expect(resolveLookupSettings(parseLookup(['--backend', 'cpu,webgpu']), now).backendNames).toEqual([
      'cpu',
      'webgpu',
    ]);
  });
});

describe('createBenchmarkBackends', () => {
  it('names the known backends when asked for an unknown one', async () => {
    await expect(createBenchmarkBackends(['cpu', 'no-such-backend'])).rejects.toThrow(
      /unknown backend 'no-such-backend'; known backends: cpu, cpu-brute, cpu-ort, tfjs-wasm, tfjs-cpu/,
    );
  });

  it('refuses a backend named twice', async () => {
    await expect(createBenchmarkBackends(['cpu', 'cpu'])).rejects.toThrow(/named twice/);
  });

  it('makes the cpu backend', async () => {
    const [named] = await createBenchmarkBackends(['cpu']);
    expect(named.name).toBe('cpu');
    expect(named.backend.specificationVersion).toBe('v1');
  });
});
