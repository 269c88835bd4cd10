import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blockFileName,
  type CodeBlock,
  documentationCodeBlocks,
  isShell,
  isTypeScript,
} from './code-blocks.js';
import { runProcess } from './run-process.js';
import { checkShellCommand, type ShellCommandContext, shellCommandContext } from './shell-commands.js';

/**
 * Every TypeScript block of the READMEs and docs/ is written out as a file of its own inside this package (so it
 * imports the workspace's built packages exactly as a user's project imports installed ones), compiled with
 * `tsc --strict` under `nodenext`, and run with Node in a fresh working directory. A block that imports vitest
 * is a test file and runs under vitest. Shell blocks are not run (the demos take minutes); each command in them
 * must name a real root script, workspace package, benchmark, demo or file. A block that starts with the comment
 * `// Run from the repository root` (it reads a test fixture the packages do not ship) runs there instead.
 */
const blocks = await documentationCodeBlocks();
const typeScriptBlocks = blocks.filter(isTypeScript);
const shellBlocks = blocks.filter(isShell);
const outputFolder = join(import.meta.dirname, '..', '.doc-blocks');
const require = createRequire(import.meta.url);

const isVitestBlock = (block: CodeBlock) => /from '(vitest|@grace\/core\/testing\/vitest)'/.test(block.code);
const sourceName = (block: CodeBlock) => blockFileName(block, isVitestBlock(block) ? '.test.ts' : '.ts');
const label = (block: CodeBlock) => `${block.file}:${block.line}`;
/** The repository's root: a block whose text says it runs from there reads files the repository holds. */
const repositoryRoot = join(import.meta.dirname, '..', '..', '..');
const runsFromRepositoryRoot = (block: CodeBlock) => block.code.startsWith('// Run from the repository root');

describe('TypeScript blocks of the docs', () => {
  let compilation: { code: number | null; output: string };

  beforeAll(async () => {
    await rm(outputFolder, { recursive: true, force: true });
    await mkdir(outputFolder, { recursive: true });
    for (const block of typeScriptBlocks) {
      await writeFile(join(outputFolder, sourceName(block)), `// ${label(block)}\n${block.code}`);
    }
    await writeFile(
      join(outputFolder, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          rootDir: '.',
          outDir: 'out',
        },
        include: ['*.ts'],
      }),
    );
    await writeFile(join(outputFolder, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(
      join(outputFolder, 'vitest.config.mjs'),
      "export default { test: { include: ['out/**/*.test.js'] } };\n",
    );
    compilation = await runProcess(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', outputFolder],
      {
        timeoutMs: 170_000,
      },
    );
  }, 180_000);

  it('finds the blocks', () => {
    expect(typeScriptBlocks.length).toBeGreaterThan(5);
  });

  it('all compile under tsc --strict (module and resolution nodenext)', () => {
    expect(compilation.output).toBe('');
    expect(compilation.code).toBe(0);
  });

  for (const block of typeScriptBlocks.filter((candidate) => !isVitestBlock(candidate))) {
    it(`${label(block)} runs`, async () => {
      const workingDirectory = await mkdtemp(join(tmpdir(), 'grace-doc-block-'));
      try {
        const script = join(outputFolder, 'out', sourceName(block).replace(/\.ts$/, '.js'));
        const result = await runProcess(process.execPath, [script], {
          cwd: runsFromRepositoryRoot(block) ? repositoryRoot : workingDirectory,
          timeoutMs: 170_000,
        });
        expect(result.code, result.output).toBe(0);
      } finally {
        await rm(workingDirectory, { recursive: true, force: true });
      }
    }, 180_000);
  }

  const vitestBlocks = typeScriptBlocks.filter(isVitestBlock);
  if (vitestBlocks.length > 0) {
    it(`${vitestBlocks.map(label).join(', ')} pass under vitest`, async () => {
      const files = vitestBlocks.map((block) => join('out', sourceName(block).replace(/\.ts$/, '.js')));
      const vitest = join(require.resolve('vitest/package.json'), '..', 'vitest.mjs');
      const result = await runProcess(
        process.execPath,
        [vitest, 'run', '--config', 'vitest.config.mjs', ...files],
        {
          cwd: outputFolder,
          timeoutMs: 170_000,
        },
      );
      expect(result.code, result.output).toBe(0);
    }, 180_000);
  }
});

describe('shell blocks of the docs', () => {
  let context: ShellCommandContext;
  beforeAll(async () => {
    context = await shellCommandContext();
  }, 60_000);

  for (const block of shellBlocks) {
    it(`${label(block)} names real scripts, packages, benchmarks, demos and files`, () => {
      const problems = block.code
        .split('\n')
        .flatMap((line) => checkShellCommand(line, context).map((problem) => `${line.trim()}: ${problem}`));
      expect(problems).toEqual([]);
    });
  }
});
