"""Reference values for src/core/cuped.ts, computed with NumPy and SciPy from raw per-unit data (an implementation
independent of ours): θ as the least-squares slope of Y on X with one intercept per variant (numpy.linalg.lstsq),
each unit's adjusted value y − θ(x − mean x), the adjusted means with normal 95% intervals, the adjusted difference
against control with its interval and two-sided p-value (scipy.stats.norm), and the variance reductions, from
numpy.var of the raw and adjusted values. Also Holm's adjusted p-values, by the definition (the maximum over the
smaller p-values of min(1, (m − j) p_(j))), for a few families.

Run: python3 test/core/make-cuped-reference.py > test/core/cuped-reference.json
"""
import json

import numpy as np
from scipy import stats

Z = stats.norm.ppf(0.975)


def case(name, arms):
    """arms: list of (y, x) arrays, the control first."""
    k = len(arms)
    y = np.concatenate([a[0] for a in arms])
    x = np.concatenate([a[1] for a in arms])
    design = np.zeros((y.size, k + 1))
    start = 0
    for j, (ya, _) in enumerate(arms):
        design[start:start + ya.size, j] = 1
        start += ya.size
    design[:, k] = x
    theta = float(np.linalg.lstsq(design, y, rcond=None)[0][k])
    grand = x.mean()
    adjusted = [ya - theta * (xa - grand) for ya, xa in arms]
    out_arms = []
    for (ya, xa), adj in zip(arms, adjusted):
        se = np.sqrt(adj.var(ddof=1) / adj.size)
        out_arms.append({"mean": float(adj.mean()), "interval": [float(adj.mean() - Z * se), float(adj.mean() + Z * se)],
                         "varianceReduction": float(1 - adj.var(ddof=1) / ya.var(ddof=1))})
    comparisons = []
    c_adj, (c_y, _) = adjusted[0], arms[0]
    for adj, (ya, _) in zip(adjusted[1:], arms[1:]):
        var = adj.var(ddof=1) / adj.size + c_adj.var(ddof=1) / c_adj.size
        raw = ya.var(ddof=1) / ya.size + c_y.var(ddof=1) / c_y.size
        est = float(adj.mean() - c_adj.mean())
        se = float(np.sqrt(var))
        comparisons.append({"absolute": {"estimate": est, "interval": [est - Z * se, est + Z * se]},
                            "pValue": float(2 * stats.norm.sf(abs(est / se))), "varianceReduction": float(1 - var / raw)})
    sums = [{"units": int(ya.size), "sum": float(ya.sum()), "sumSquares": float((ya * ya).sum()),
             "sumCovariate": float(xa.sum()), "sumCovariateSquares": float((xa * xa).sum()), "sumProducts": float((ya * xa).sum())}
            for ya, xa in arms]
    return {"name": name, "arms": sums, "expected": {"theta": theta, "arms": out_arms, "comparisons": comparisons}}


def holm(p):
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    out = np.empty(m)
    for rank, i in enumerate(order):
        out[i] = max(min(1.0, (m - r) * p[order[r]]) for r in range(rank + 1))
    return out.tolist()


rng = np.random.default_rng(20261127)
cases = []
# Revenue per visitor: most units buy nothing; the covariate is last year's revenue, correlated with this one.
for name, n, lift in [("revenue, two variants", 2000, 1.5), ("revenue, three variants", 1500, 0.0)]:
    arms = []
    for j in range(3 if "three" in name else 2):
        history = rng.gamma(0.5, 80.0, n) * (rng.random(n) < 0.4)
        buys = rng.random(n) < 0.05 + 0.0005 * history ** 0.5
        y = buys * (20 + 0.3 * history + rng.exponential(30, n) + lift * j)
        arms.append((y, history))
    cases.append(case(name, arms))
# A conversion (0/1) with a covariate that is mostly 0 (anonymous visitors enter with 0).
arms = []
for j in range(2):
    n = 3000
    x = np.where(rng.random(n) < 0.3, rng.gamma(2.0, 50.0, n), 0.0)
    y = (rng.random(n) < 0.03 + 0.0004 * x + 0.01 * j).astype(float)
    arms.append((y, x))
cases.append(case("conversion, covariate 0 for anonymous units", arms))
# Small, hand-checkable.
cases.append(case("small", [(np.array([1.0, 2, 3, 4]), np.array([1.0, 2, 2, 5])), (np.array([2.0, 4, 5, 9, 1]), np.array([1.0, 3, 4, 7, 0]))]))

families = [[0.01, 0.04, 0.03], [0.001, 0.2, 0.012, 0.04, 0.9], [0.05], [0.02, 0.02, 0.5, 0.001]]
print(json.dumps({"cases": cases, "holm": [{"p": f, "adjusted": holm(f)} for f in families]}, indent=1))
