// Module resolution hooks (node:module register): refuse TensorFlow.js.
interface ResolveResult {
  readonly url: string;
}

export async function resolve(
  specifier: string,
  context: { readonly parentURL?: string },
  nextResolve: (specifier: string, context: object) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  if (result.url.includes('/@tensorflow/')) {
    throw new Error(`TensorFlow.js imported: ${specifier} from ${context.parentURL ?? 'the entry point'}`);
  }
  return result;
}
