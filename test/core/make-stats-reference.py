"""Reference values for src/core/stats.ts, computed with SciPy and NumPy (an implementation independent of
ours): special functions, Wilson intervals, Welch's t-test on raw per-unit data, Student-t intervals of means,
the exact Beta-posterior chance to beat control (numerical integration), and Pearson's chi-square.

Run: python3 test/core/make-stats-reference.py > test/core/stats-reference.json
(SciPy 1.17.1, NumPy 2.4.6 wrote the committed file.)
"""
import json

import numpy as np
import scipy
from scipy import integrate, stats


def arm(values):
    values = np.asarray(values, dtype=float)
    return {"units": int(values.size), "sum": float(values.sum()), "sumSquares": float((values * values).sum())}


def binary(conversions, units):
    return np.concatenate([np.ones(conversions), np.zeros(units - conversions)])


def exact_chance_to_beat(xc, nc, xt, nt):
    control = stats.beta(1 + xc, 1 + nc - xc)
    treatment = stats.beta(1 + xt, 1 + nt - xt)
    # P(pt > pc) = ∫ f_t(p) F_c(p) dp, over the region where the posteriors have mass.
    lo = min(control.ppf(1e-12), treatment.ppf(1e-12))
    hi = max(control.ppf(1 - 1e-12), treatment.ppf(1 - 1e-12))
    value, _ = integrate.quad(lambda p: treatment.pdf(p) * control.cdf(p), lo, hi, limit=500, epsabs=1e-12)
    return value


def comparison(control_values, treatment_values, kind, exact_chance=None):
    c = np.asarray(control_values, dtype=float)
    t = np.asarray(treatment_values, dtype=float)
    result = stats.ttest_ind(t, c, equal_var=False)
    low, high = result.confidence_interval(0.95)
    mc, mt = c.mean(), t.mean()
    vc, vt = c.var(ddof=1) / c.size, t.var(ddof=1) / t.size
    z = stats.norm.ppf(0.975)
    # Delta method, Deng, Knoblich and Lu (KDD 2018): Var(mt/mc) ≈ vt/mc² + mt²·vc/mc⁴.
    rel = mt / mc - 1
    rel_sd = np.sqrt(vt / mc**2 + mt**2 * vc / mc**4)
    case = {
        "kind": kind,
        "control": arm(c),
        "treatment": arm(t),
        "pValue": float(result.pvalue),
        "degreesOfFreedom": float(result.df),
        "absolute": [float(mt - mc), float(low), float(high)],
        "relative": [float(rel), float(rel - z * rel_sd), float(rel + z * rel_sd)],
        "chanceToBeatControlNormal": float(stats.norm.cdf((mt - mc) / np.sqrt(vc + vt))),
    }
    if exact_chance is not None:
        case["chanceToBeatControlExact"] = exact_chance
    return case


rng = np.random.default_rng(20261123)


def revenue(units, buy_rate, mean_order):
    buys = rng.random(units) < buy_rate
    return np.where(buys, np.round(rng.lognormal(np.log(mean_order), 0.6, units), 2), 0.0)


binary_cases = [(100, 1000, 130, 1000), (500, 10000, 560, 10000), (52, 1203, 48, 1187), (30, 400, 55, 410), (2000, 50000, 2100, 50500)]
comparisons = [
    comparison(binary(xc, nc), binary(xt, nt), "binary", exact_chance_to_beat(xc, nc, xt, nt)) for xc, nc, xt, nt in binary_cases
]
comparisons += [
    comparison(revenue(5000, 0.04, 60), revenue(5000, 0.045, 60), "continuous"),
    comparison(revenue(800, 0.1, 35), revenue(760, 0.1, 42), "continuous"),
    comparison(rng.normal(10, 3, 25), rng.normal(12, 5, 40), "continuous"),
]

means = []
for values in [revenue(3000, 0.05, 50), rng.normal(100, 15, 12), np.array([0.0, 0.0, 5.0, 12.5, 0.0, 99.99])]:
    n = values.size
    low, high = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
    means.append({"arm": arm(values), "mean": float(values.mean()), "variance": float(values.var(ddof=1)), "interval": [float(low), float(high)]})

wilson = []
for x, n in [(0, 10), (1, 10), (5, 10), (10, 10), (37, 1000), (2500, 50000), (3, 7)]:
    ci = stats.binomtest(x, n).proportion_ci(0.95, method="wilson")
    wilson.append({"successes": x, "units": n, "interval": [float(ci.low), float(ci.high)]})

srm = []
for observed, weights in [([5000, 5000], [50, 50]), ([5100, 4900], [50, 50]), ([5250, 4750], [50, 50]), ([1030, 980, 990], [1, 1, 1]), ([9100, 900], [90, 10]), ([8000, 2400], [80, 20])]:
    total = sum(observed)
    expected = [total * w / sum(weights) for w in weights]
    statistic, p = stats.chisquare(observed, expected)
    srm.append({"units": observed, "weights": weights, "chiSquare": float(statistic), "pValue": float(p)})

special = {
    "normalCdf": [[z, float(stats.norm.cdf(z))] for z in [-8.0, -6.0, -3.0, -1.959963984540054, -1.0, -0.1, 0.0, 0.5, 1.6448536269514722, 3.0, 6.0]],
    "normalQuantile": [[p, float(stats.norm.ppf(p))] for p in [1e-10, 1e-4, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999, 0.9999999]],
    "studentTCdf": [[t, df, float(stats.t.cdf(t, df))] for t, df in [(-2.5, 1), (0.3, 2), (1.96, 5.5), (-3.1, 17.25), (2.0, 120), (-4.0, 1000.7), (12.0, 3)]],
    "studentTQuantile": [[p, df, float(stats.t.ppf(p, df))] for p, df in [(0.975, 1), (0.975, 2.5), (0.975, 9), (0.025, 30.4), (0.999, 4), (0.975, 5000), (0.6, 12)]],
    "chiSquareSurvival": [[x, df, float(stats.chi2.sf(x, df))] for x, df in [(0.5, 1), (3.841458820694124, 1), (10.83, 1), (25.0, 1), (4.0, 2), (7.5, 3), (30.0, 9), (60.0, 1)]],
}

print(json.dumps({
    "source": f"SciPy {scipy.__version__}, NumPy {np.__version__}: test/core/make-stats-reference.py",
    "special": special,
    "wilson": wilson,
    "means": means,
    "comparisons": comparisons,
    "sampleRatio": srm,
}, indent=1))
