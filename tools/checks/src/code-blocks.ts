import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One fenced code block of a markdown file. */
export interface CodeBlock {
  /** The markdown file, relative to the repository root (`packages/core/README.md`). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string up to the first space: `ts`, `sh`, ... */
  readonly language: string;
  readonly code: string;
}

/** The repository root: this package lives in `tools/checks`. */
export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Every markdown file whose code blocks readers copy: the READMEs of the repository and its packages and apps, and `docs/`. */
export async function documentationFiles(root = repositoryRoot): Promise<string[]> {
  const files = ['README.md'];
  for (const folder of ['packages', 'apps', 'examples']) {
    for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const readme = join(folder, entry.name, 'README.md');
      if (await exists(join(root, readme))) files.push(readme);
    }
  }
  for (const entry of await readdir(join(root, 'docs'))) {
    if (entry.endsWith('.md')) files.push(join('docs', entry));
  }
  return files.sort();
}

/** The fenced code blocks (```` ``` ```` or `~~~`) of one markdown text, in order. */
export function extractCodeBlocks(markdown: string, file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let open: { fence: string; language: string; line: number; body: string[] } | undefined;
  for (const [index, line] of lines.entries()) {
    if (open === undefined) {
      const match = /^(```+|~~~+)\s*([\w-]*)/.exec(line);
      if (match !== null)
        open = { fence: match[1] as string, language: match[2] ?? '', line: index + 1, body: [] };
    } else if (line.trimEnd() === open.fence) {
      blocks.push({ file, line: open.line, language: open.language, code: `${open.body.join('\n')}\n` });
      open = undefined;
    } else {
      open.body.push(line);
    }
  }
  if (open !== undefined) throw new Error(`${file}:${open.line}: a code fence is never closed`);
  return blocks;
}

/** The code blocks of every documentation file. */
export async function documentationCodeBlocks(root = repositoryRoot): Promise<CodeBlock[]> {
  const blocks: CodeBlock[] = [];
  for (const file of await documentationFiles(root)) {
    blocks.push(
      ...extractCodeBlocks(await readFile(join(root, file), 'utf8'), relative(root, join(root, file))),
    );
  }
  return blocks;
}

/** TypeScript blocks (`ts`, `typescript`). */
export function isTypeScript(block: CodeBlock): boolean {
  return block.language === 'ts' || block.language === 'typescript';
}

/** Shell blocks (`sh`, `bash`, `shell`, `console`). */
export function isShell(block: CodeBlock): boolean {
  return ['sh', 'bash', 'shell', 'console'].includes(block.language);
}

/** A file name for a block: `packages-core-README-12.ts`, unique per block. */
export function blockFileName(block: CodeBlock, extension = '.ts'): string {
  return `${block.file.replace(/\.md$/, '').replaceAll(/[^A-Za-z0-9]+/g, '-')}-${block.line}${extension}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
