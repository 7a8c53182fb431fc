/**
 * @module Query parameters of the admin routes, checked before they reach storage: a bad one answers 400 naming
 * the parameter (`?limit=2.5` once reached SQLite as a non-integer LIMIT and answered 500).
 */
import { ApiError } from "./errors";

/**
 * The integer query parameter `name` in [min, max], or `fallback` when it is absent. Only plain decimal digits
 * count: "2.5", "-1", "1e2", " 7" and "" are refused, not rounded.
 */
export function integerParam(value: string | undefined, name: string, range: { min: number; max: number }, fallback: number): number;
export function integerParam(value: string | undefined, name: string, range: { min: number; max: number }): number | undefined;
export function integerParam(value: string | undefined, name: string, { min, max }: { min: number; max: number }, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw new ApiError("BAD_REQUEST", `the query parameter ${name} must be an integer from ${min} to ${max}`, [
      { path: name, message: `"${value.slice(0, 40)}" is not an integer from ${min} to ${max}` },
    ]);
  }
  return n;
}
