import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** One `--name` option a command accepts. */
export interface OptionSpecification {
  /** Without the leading dashes, e.g. `runs` for `--runs`. */
  readonly name: string;
  /** Placeholder shown in the help text, e.g. `N`; absent for a flag. */
  readonly valueName?: string;
  /** One line for the help text, including the default. */
  readonly description: string;
}

/** The options given on the command line, checked against the command's specifications. */
export interface ParsedOptions {
  /** Options that take a value, by name. */
  readonly values: ReadonlyMap<string, string>;
  /** Flags that were given. */
  readonly flags: ReadonlySet<string>;
}

/**
 * Parses `--flag`, `--name value` and `--name=value` with Node's own `util.parseArgs` (which splits the
 * arguments into option tokens), then checks every token against the command's specifications. Anything
 * else — an unknown option, a missing value, a value given to a flag, an option given twice, a stray
 * positional argument — is a `UsageError`, so a typo fails at once instead of silently running the default
 * grid for minutes.
 */
export function parseOptions(
  argumentList: readonly string[],
  specifications: readonly OptionSpecification[],
): ParsedOptions {
  const { tokens } = parseArgs({
    args: [...argumentList],
    options: Object.fromEntries(
      specifications.map((specification) => [
        specification.name,
        { type: specification.valueName === undefined ? ('boolean' as const) : ('string' as const) },
      ]),
    ),
    // Strict mode's own messages differ from ours and it accepts a repeated option; the checks below are ours.
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`unexpected argument '${token.value}'`);
    if (token.kind === 'option-terminator') throw new UsageError("unexpected argument '--'");
    const { name } = token;
    const specification = specifications.find((candidate) => candidate.name === name);
    if (specification === undefined || !token.rawName.startsWith('--'))
      throw new UsageError(`unknown option '${token.rawName}'`);
    if (values.has(name) || flags.has(name)) throw new UsageError(`option '--${name}' is given twice`);
    if (specification.valueName === undefined) {
      if (token.value !== undefined) throw new UsageError(`option '--${name}' is a flag and takes no value`);
      flags.add(name);
      continue;
    }
    // Without strict mode parseArgs takes the next argument as the value even when it is another option.
    const value = token.inlineValue === false && token.value?.startsWith('--') ? undefined : token.value;
    if (value === undefined || value === '') {
      throw new UsageError(`option '--${name}' needs a value (${specification.valueName})`);
    }
    values.set(name, value);
  }
  return { values, flags };
}

/**
 * Parses a positive integer such as `5`, `1000` or `1e4` (scientific notation is how codebook sizes are
 * usually written).
 */
export function parsePositiveInteger(text: string, optionName: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`--${optionName} takes positive integers, got '${text}'`);
  }
  return value;
}

/** Parses a positive finite number such as `0.25` or `1e-3`. */
export function parsePositiveNumber(text: string, optionName: string): number {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${optionName} takes a positive number, got '${text}'`);
  }
  return value;
}

/** Parses a comma list of positive integers, e.g. `100,1e3,1e4`. */
export function parsePositiveIntegerList(text: string, optionName: string): number[] {
  return text.split(',').map((item) => parsePositiveInteger(item, optionName));
}

/** Parses a comma list of names, e.g. `cpu,webgpu`; empty items are refused. */
export function parseNameList(text: string, optionName: string): string[] {
  const names = text.split(',').map((item) => item.trim());
  if (names.some((name) => name === '')) {
    throw new UsageError(`--${optionName} has an empty name in '${text}'`);
  }
  return names;
}

/** Help lines for a command's options, aligned. */
export function formatOptionHelp(specifications: readonly OptionSpecification[]): string {
  const usages = specifications.map(
    (specification) =>
      `--${specification.name}${specification.valueName === undefined ? '' : ` ${specification.valueName}`}`,
  );
  const width = Math.max(...usages.map((usage) => usage.length));
  return specifications
    .map((specification, index) => `  ${usages[index].padEnd(width)}  ${specification.description}`)
    .join('\n');
}
