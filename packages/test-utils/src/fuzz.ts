/**
 * Helpers of the loaders' fuzz tests (fast-check properties in datasets, encoders and runtime-node): where to mutate a
 * valid JSON value, how, and the seed that keeps CI repeatable.
 */

/** A JSON path: the keys and indices from the root to one value. */
export type JsonPath = (string | number)[];

/** Every path of a JSON value, the root (`[]`) first. */
export function jsonPaths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...jsonPaths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...jsonPaths(v, [...prefix, k]));
  return out;
}

/** A copy of `value` with the value at `path` replaced by `by` (the original is untouched). */
export function replaceAtPath(value: unknown, path: JsonPath, by: unknown): unknown {
  if (path.length === 0) return by;
  const copy: Record<string | number, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<number, unknown>) : { ...(value as object) };
  copy[path[0]] = replaceAtPath(copy[path[0]], path.slice(1), by);
  return copy;
}

/** Empty arrays nested `depth` deep (`[[[]]]` for 3), built by the JSON parser as a loader would. */
export const nestedArrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;

/** The fast-check seed: fixed, so CI is repeatable; `EMOJE_FUZZ_SEED=<n>` explores other inputs. */
export const FUZZ_SEED = Number(process.env.EMOJE_FUZZ_SEED ?? 20261206);
