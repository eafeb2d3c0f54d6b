// Reading codex-auth's small JSON files (state, settings). Plain fs and JSON.parse: `run` reads
// them on every codex launch, and a config library costs more to load than the reads themselves.
import { readFileSync } from 'node:fs';

/**
 * The object in the file; `{}` when the file does not exist. Throws (the caller turns it into a
 * storage error) when it cannot be read or holds no JSON object: a damaged file is never reset.
 */
export const NOT_AN_OBJECT = 'it does not hold a JSON object';

export function readJsonFile<T extends object>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {} as T;
    throw error;
  }
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(NOT_AN_OBJECT);
  return value as T;
}
