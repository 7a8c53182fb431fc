/**
 * @module Minimising a smooth function of a few parameters without derivatives: the Nelder-Mead simplex method
 * (Nelder & Mead 1965, "A simplex method for function minimization", Computer Journal 7(4)), with the standard
 * coefficients and tie-breaking of Lagarias, Reeds, Wright & Wright 1998 ("Convergence properties of the Nelder-Mead
 * simplex method in low dimensions", SIAM J. Optim. 9(1)): reflection 1, expansion 2, contraction ½, shrink ½.
 * Deterministic; bounded iterations. The models fit log-parameters with it, so every parameter stays positive.
 */

export interface MinimizeOptions {
  /** The initial simplex: the start plus `step` along each axis. */
  step?: number;
  maxIterations?: number;
  /** Converged when every vertex is within `xTolerance` of the best in every coordinate and within `fTolerance` in value. */
  xTolerance?: number;
  fTolerance?: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  iterations: number;
  converged: boolean;
}

interface Vertex {
  x: number[];
  value: number;
}

/**
 * A shape parameter's log kept within ln 10⁻⁴..ln 10⁴ by the models' objectives (+∞ outside). Some data push a
 * likelihood's maximum to infinity along one parameter (a store whose customers' order values hardly vary within each
 * customer: Gamma-Gamma's p → ∞, a CV of 1/√p); the search then stops at the bound, where the model's expectations
 * have all but reached their limit, instead of running out its iterations along a ridge.
 */
export const SHAPE_LOG_BOUND = Math.log(1e4);

/** Whether every shape parameter's log (the entries at `indices`) lies within ±SHAPE_LOG_BOUND. */
export function withinShapeBounds(v: readonly number[], indices: readonly number[]): boolean {
  return indices.every((i) => Math.abs(v[i] ?? 0) <= SHAPE_LOG_BOUND);
}

/** Minimise `f` from `start`. A non-finite value counts as +∞, so the search backs away from where `f` is undefined. */
export function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const { step = 0.5, maxIterations = 5_000, xTolerance = 1e-8, fTolerance = 1e-10 } = options;
  const n = start.length;
  const evaluate = (x: number[]): Vertex => {
    const value = f(x);
    return { x, value: Number.isFinite(value) ? value : Number.POSITIVE_INFINITY };
  };
  const simplex: Vertex[] = [evaluate([...start])];
  for (let i = 0; i < n; i++) simplex.push(evaluate(start.map((v, j) => (j === i ? v + step : v))));
  const along = (centroid: number[], worst: number[], t: number): number[] => centroid.map((c, j) => c + t * (c - (worst[j] ?? 0)));

  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    // Stable sort: among equal values the older vertex stays ahead (Lagarias et al.'s ordering rule).
    simplex.sort((p, q) => p.value - q.value);
    const best = simplex[0] as Vertex;
    const worst = simplex[n] as Vertex;
    const secondWorst = simplex[n - 1] as Vertex;
    if (converged(simplex, xTolerance, fTolerance)) return { x: best.x, value: best.value, iterations, converged: true };

    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] = (centroid[j] ?? 0) + ((simplex[i] as Vertex).x[j] ?? 0) / n;

    const reflected = evaluate(along(centroid, worst.x, 1));
    if (reflected.value < best.value) {
      const expanded = evaluate(along(centroid, worst.x, 2));
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
      continue;
    }
    if (reflected.value < secondWorst.value) {
      simplex[n] = reflected;
      continue;
    }
    const outside = reflected.value < worst.value;
    const contracted = evaluate(along(centroid, worst.x, outside ? 0.5 : -0.5));
    if (contracted.value < (outside ? reflected.value : worst.value)) {
      simplex[n] = contracted;
      continue;
    }
    for (let i = 1; i <= n; i++) {
      const vertex = simplex[i] as Vertex;
      simplex[i] = evaluate(vertex.x.map((v, j) => (best.x[j] ?? 0) + 0.5 * (v - (best.x[j] ?? 0))));
    }
  }
  simplex.sort((p, q) => p.value - q.value);
  const best = simplex[0] as Vertex;
  return { x: best.x, value: best.value, iterations, converged: converged(simplex, xTolerance, fTolerance) };
}

function converged(simplex: readonly Vertex[], xTolerance: number, fTolerance: number): boolean {
  const best = simplex[0] as Vertex;
  for (const vertex of simplex.slice(1)) {
    if (!(Math.abs(vertex.value - best.value) <= fTolerance)) return false;
    for (let j = 0; j < best.x.length; j++) if (Math.abs((vertex.x[j] ?? 0) - (best.x[j] ?? 0)) > xTolerance) return false;
  }
  return true;
}

/** Nelder-Mead, restarted from its own answer until a restart no longer improves it: a collapsed simplex can stall short of the minimum. */
export function minimize(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  let result = nelderMead(f, start, options);
  let iterations = result.iterations;
  for (let restart = 0; restart < 5; restart++) {
    const again = nelderMead(f, result.x, options);
    iterations += again.iterations;
    const improved = again.value < result.value - (options.fTolerance ?? 1e-10);
    result = again.value <= result.value ? again : result;
    if (!improved) break;
  }
  return { ...result, iterations };
}
