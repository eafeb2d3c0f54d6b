// Resolve hook: every ESM import of fs, except the shim's own, gets the shim.
const shimUrl = new URL('./fs-with-globsync.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const isFs = specifier === 'fs' || specifier === 'node:fs';
  if (isFs && context.parentURL !== shimUrl) return { url: shimUrl, shortCircuit: true };
  return nextResolve(specifier, context);
}
