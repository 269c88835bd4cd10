import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractCodeBlocks, isTypeScript, repositoryRoot } from './code-blocks.js';
import { runProcess } from './run-process.js';

/**
 * What a user gets from the registry: every published package is packed (`pnpm pack`, which turns `workspace:`
 * ranges into versions), and the tarballs are installed with npm and with pnpm into fresh projects outside the
 * workspace. Each project then imports every entry point and runs the README's "Using it" snippet unchanged
 * (compiled by `tsc --strict` under `nodenext`; also type-checked under `bundler`), loads lande with
 * TensorFlow.js refused, and every shipped source map must resolve. publint checks each tarball.
 *
 * onnxruntime-node's install script downloads CUDA files from NuGet on Linux x64; the projects skip it
 * (`ONNXRUNTIME_NODE_INSTALL=skip` for npm, `allowBuilds` for pnpm), as the onnx package's README tells users.
 */
const publishedPackages = [
  'core',
  'backend-cpu',
  'backend-tfjs',
  'backend-webgpu',
  'onnx',
  'models',
  'models-use',
  'models-decoder',
  'search-onnxruntime',
] as const;
const require = createRequire(import.meta.url);
const typescript = require.resolve('typescript/bin/tsc');
const projectSources = join(import.meta.dirname, 'packed-project');
// Alone, both installs take under two minutes here; `pnpm test` runs them beside every other package's tests.
const installTimeoutMs = 540_000;
const noBuildScripts = ['onnxruntime-node', 'protobufjs', 'core-js', 'webgpu'];

const managers = ['npm', 'pnpm'] as const;
type Manager = (typeof managers)[number];

let workFolder: string;
const tarballs = new Map<string, string>();
const installs = new Map<Manager, Promise<string>>();

beforeAll(async () => {
  workFolder = await mkdtemp(join(tmpdir(), 'grace-packed-'));
  const packFolder = join(workFolder, 'tarballs');
  await mkdir(packFolder);
  for (const folder of publishedPackages) {
    const before = new Set(await readdir(packFolder));
    const packed = await runProcess('pnpm', ['pack', '--pack-destination', packFolder], {
      cwd: join(repositoryRoot, 'packages', folder),
      timeoutMs: 60_000,
    });
    if (packed.code !== 0) throw new Error(`pnpm pack in packages/${folder} failed:\n${packed.output}`);
    const [tarball] = (await readdir(packFolder)).filter((name) => !before.has(name));
    if (tarball === undefined) throw new Error(`pnpm pack in packages/${folder} wrote no tarball`);
    tarballs.set(`@grace/${folder}`, join(packFolder, tarball));
  }
  // Both installs run side by side (they mostly wait on the disk); each describe awaits its own.
  for (const manager of managers) installs.set(manager, install(manager));
  for (const pending of installs.values()) pending.catch(() => {});
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(installs.values());
  if (workFolder !== undefined) await rm(workFolder, { recursive: true, force: true });
}, 120_000);

describe('published tarballs', () => {
  for (const folder of publishedPackages) {
    it(`@grace/${folder} passes publint and ships its license, readme and sources, no test files`, async () => {
      const path = tarballs.get(`@grace/${folder}`) as string;
      const tarball = await readFile(path);
      const { messages, pkg } = await publint({
        pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
        level: 'suggestion',
        strict: true,
      });
      expect(messages.map((message) => formatMessage(message, pkg) ?? message.code)).toEqual([]);
      const listing = await runProcess('tar', ['-tzf', path]);
      const files = listing.output.split('\n').filter((line) => line.length > 0);
      expect(files).toContain('package/LICENSE');
      expect(files).toContain('package/README.md');
      expect(files).toContain('package/src/index.ts');
      expect(files.filter((file) => /\.test\.|generated-test-models|fixtures\//.test(file))).toEqual([]);
    });
  }
});

describe.each(managers.map((manager) => ({ manager })))(
  'a fresh project installing the tarballs with $manager',
  ({ manager }) => {
    let project: string;

    beforeAll(async () => {
      project = await (installs.get(manager) as Promise<string>);
    }, installTimeoutMs + 10_000);

    it('type-checks the smoke scripts and the README snippet under tsc --strict, nodenext and bundler', async () => {
      for (const config of ['tsconfig.json', 'tsconfig.bundler.json']) {
        const result = await runProcess(process.execPath, [typescript, '-p', config], {
          cwd: project,
          timeoutMs: 120_000,
        });
        expect(result.output, config).toBe('');
        expect(result.code, config).toBe(0);
      }
    }, 250_000);

    it('imports every entry point and runs lande, the codebook file, the conformance cases and USE-lite', async () => {
      const result = await runProcess(process.execPath, ['out/smoke.js'], {
        cwd: project,
        timeoutMs: 120_000,
      });
      expect(result.code, result.output).toBe(0);
      // One tfjs-core for the whole project: a second copy prints this when it registers its platform again.
      expect(result.output).not.toContain('Platform node has already been set');
    }, 130_000);

    it('runs the README snippet unchanged', async () => {
      const result = await runProcess(process.execPath, ['out/readme-snippet.js'], {
        cwd: project,
        timeoutMs: 120_000,
      });
      expect(result.code, result.output).toBe(0);
    }, 130_000);

    it('loads and edits lande without importing TensorFlow.js', async () => {
      const result = await runProcess(
        process.execPath,
        ['--import', './out/tfjs-guard.js', 'out/lande-without-tfjs.js'],
        {
          cwd: project,
          timeoutMs: 60_000,
        },
      );
      expect(result.code, result.output).toBe(0);
      // The guard does refuse TensorFlow.js: the same import of the USE-lite package fails under it.
      const guarded = await runProcess(
        process.execPath,
        [
          '--import',
          './out/tfjs-guard.js',
          '--input-type=module',
          '--eval',
          "await import('@grace/models-use');",
        ],
        { cwd: project, timeoutMs: 60_000 },
      );
      expect(guarded.output).toContain('TensorFlow.js imported');
    }, 130_000);

    it.runIf(manager === 'npm')(
      'has a tree npm accepts (`npm ls --all`: no invalid or missing peers)',
      async () => {
        const result = await runProcess('npm', ['ls', '--all'], { cwd: project, timeoutMs: 60_000 });
        expect(result.code, result.output.slice(-3000)).toBe(0);
        // One copy of tfjs-core: every other mention of it is "deduped".
        expect(result.output.match(/@tensorflow\/tfjs-core@[\d.]+(?! deduped)$/gm)).toHaveLength(1);
      },
      70_000,
    );

    it('ships source maps whose sources resolve', async () => {
      const missing: string[] = [];
      for (const folder of publishedPackages) {
        const packageFolder = join(project, 'node_modules', '@grace', folder);
        for (const map of await listFiles(join(packageFolder, 'dist'), '.map')) {
          const { sources } = JSON.parse(await readFile(map, 'utf8')) as { sources: string[] };
          for (const source of sources) {
            if (!existsSync(join(dirname(map), source))) missing.push(`${map}: ${source}`);
          }
        }
      }
      expect(missing).toEqual([]);
    });
  },
);

/**
 * Installs every tarball (and `@types/node`) into a new project with `manager`, outside the workspace and with none
 * of the settings that `pnpm test` passes to its scripts; resolves to the project's folder.
 */
async function install(manager: Manager): Promise<string> {
  const project = join(workFolder, `project-${manager}`);
  await mkdir(project, { recursive: true });
  await writeProject(project);
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm|pnpm)_(config|package|lifecycle)_/i.test(name)),
  );
  environment.ONNXRUNTIME_NODE_INSTALL = 'skip';
  const specifiers = [...tarballs.values()];
  const installed =
    manager === 'npm'
      ? await runProcess(
          'npm',
          ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specifiers, '@types/node@20'],
          {
            cwd: project,
            env: environment,
            timeoutMs: installTimeoutMs,
          },
        )
      : await runProcess(
          'pnpm',
          ['add', '--prefer-offline', ...specifiers.map((path) => `file:${path}`), '@types/node@20'],
          {
            cwd: project,
            env: environment,
            timeoutMs: installTimeoutMs,
          },
        );
  if (installed.code !== 0) {
    const reason =
      installed.code === null ? `killed after ${installTimeoutMs / 1000} s` : `exit code ${installed.code}`;
    throw new Error(`${manager} install failed (${reason}):\n${installed.output}`);
  }
  return project;
}

/** package.json, tsconfigs, pnpm settings, the smoke scripts and the README's "Using it" block. */
async function writeProject(project: string): Promise<void> {
  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'grace-packed-install-check', private: true, type: 'module' }, null, 2)}\n`,
  );
  // pnpm: deny the install scripts, and resolve @grace/* (dependencies of each other) to the tarballs.
  const overrides = [...tarballs].map(([name, path]) => `  '${name}': 'file:${path}'`);
  await writeFile(
    join(project, 'pnpm-workspace.yaml'),
    `allowBuilds:\n${noBuildScripts.map((name) => `  ${name}: false`).join('\n')}\noverrides:\n${overrides.join('\n')}\n`,
  );
  const compilerOptions = {
    target: 'ES2022',
    lib: ['ES2022'],
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  };
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...compilerOptions,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        outDir: 'out',
      },
      include: ['src'],
    }),
  );
  await writeFile(
    join(project, 'tsconfig.bundler.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'Preserve', moduleResolution: 'bundler', noEmit: true },
      include: ['src'],
    }),
  );
  await mkdir(join(project, 'src'));
  for (const file of await readdir(projectSources)) {
    await copyFile(join(projectSources, file), join(project, 'src', file));
  }
  const readme = await readFile(join(repositoryRoot, 'README.md'), 'utf8');
  const usingIt = readme.slice(readme.indexOf('## Using it'));
  const [snippet] = extractCodeBlocks(usingIt, 'README.md').filter(isTypeScript);
  if (snippet === undefined) throw new Error('README.md has no TypeScript block under "Using it"');
  await writeFile(join(project, 'src', 'readme-snippet.ts'), snippet.code);
}

async function listFiles(folder: string, extension: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => join(entry.parentPath, entry.name));
}
