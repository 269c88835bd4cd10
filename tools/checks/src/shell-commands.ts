import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repositoryRoot } from './code-blocks.js';
import { runProcess } from './run-process.js';

/** What a shell command of the docs may name. */
export interface ShellCommandContext {
  readonly rootScripts: ReadonlySet<string>;
  /** Workspace packages by name, with their scripts. */
  readonly packages: ReadonlyMap<string, ReadonlySet<string>>;
  readonly benchmarks: ReadonlySet<string>;
  readonly demos: ReadonlySet<string>;
}

/** pnpm's own commands the docs use. */
const pnpmCommands = new Set(['install', 'exec', 'turbo', 'add', 'pack', 'changeset']);

interface Manifest {
  readonly name: string;
  readonly scripts?: Record<string, string>;
}

/**
 * Reads the root's scripts and every workspace package's, and asks the built bench CLIs which benchmarks and
 * demos exist (`bench-cli.js help` lists benchmarks; an unknown demo name makes `demo-cli.js` list the demos).
 */
export async function shellCommandContext(root = repositoryRoot): Promise<ShellCommandContext> {
  const readManifest = async (folder: string) =>
    JSON.parse(await readFile(join(root, folder, 'package.json'), 'utf8')) as Manifest;
  const packages = new Map<string, ReadonlySet<string>>();
  for (const group of ['packages', 'apps', 'examples']) {
    for (const entry of await readdir(join(root, group), { withFileTypes: true })) {
      if (!entry.isDirectory() || !existsSync(join(root, group, entry.name, 'package.json'))) continue;
      const manifest = await readManifest(join(group, entry.name));
      packages.set(manifest.name, new Set(Object.keys(manifest.scripts ?? {})));
    }
  }
  const bench = join(root, 'apps', 'bench', 'dist');
  const help = await runProcess(process.execPath, [join(bench, 'bench-cli.js'), 'help'], {
    timeoutMs: 50_000,
  });
  const benchmarks = new Set(
    [...help.output.matchAll(/^ {2}(\w[\w-]*) {2,}/gm)].map((match) => match[1] as string),
  );
  const unknownDemo = await runProcess(process.execPath, [join(bench, 'demo-cli.js'), 'no-such-demo'], {
    timeoutMs: 50_000,
  });
  const demoList = /available: ([\w, -]+)/.exec(unknownDemo.output)?.[1] ?? '';
  return {
    rootScripts: new Set(Object.keys((await readManifest('.')).scripts ?? {})),
    packages,
    benchmarks,
    demos: new Set(demoList.split(',').map((name) => name.trim())),
  };
}

/**
 * The problems of one line of a shell block (none: an empty list). Each `&&`-separated command is checked by its
 * program: `pnpm <script>` names a root script (`pnpm bench <benchmark>`, `pnpm demo <demo>` a real one),
 * `pnpm --filter <package> <script>` a package's script, `bash` / `node` an existing file; environment
 * assignments in front are skipped. Other programs (`openssl`, `curl`) are left alone.
 */
export function checkShellCommand(
  line: string,
  context: ShellCommandContext,
  root = repositoryRoot,
): string[] {
  const withoutComment = line.replace(/(^|\s)#.*$/, '').trim();
  if (withoutComment === '') return [];
  const problems: string[] = [];
  for (const command of withoutComment.split(/&&|\|\||;/)) {
    const words = command
      .replaceAll(/\$\([^)]*\)/g, 'VALUE')
      .trim()
      .split(/\s+/);
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0] as string)) words.shift();
    const [program, ...rest] = words;
    if (program === 'pnpm') problems.push(...checkPnpm(rest, context));
    if ((program === 'bash' || program === 'node') && rest[0] !== undefined && !rest[0].startsWith('-')) {
      if (!existsSync(join(root, rest[0]))) problems.push(`${rest[0]} does not exist`);
    }
  }
  return problems;
}

function checkPnpm(words: readonly string[], context: ShellCommandContext): string[] {
  const [first, second, third] = words;
  if (first === undefined) return ['pnpm without a command'];
  if (first === '--filter') {
    const scripts = context.packages.get(second ?? '');
    if (scripts === undefined) return [`no workspace package ${second}`];
    return third === undefined || scripts.has(third) ? [] : [`${second} has no script ${third}`];
  }
  if (pnpmCommands.has(first)) return [];
  if (!context.rootScripts.has(first)) return [`no root script ${first}`];
  const argument = second?.startsWith('-') ? undefined : second;
  if (
    first === 'bench' &&
    argument !== undefined &&
    argument !== 'help' &&
    !context.benchmarks.has(argument)
  ) {
    return [`no benchmark ${argument}`];
  }
  if (first === 'demo' && argument !== undefined && !context.demos.has(argument))
    return [`no demo ${argument}`];
  return [];
}
