"""Reference values for src/core/sequential.ts, computed independently of its closed forms with SciPy: the mSPRT's
mixture likelihood ratio by numerical integration of the Gaussian likelihood ratio over the N(0, tau2) mixing
distribution, the confidence sequence's half-width by root finding on that integral (Lambda(h) = 1/alpha), and the
mixing ratio r = 2 ln(1/alpha) + ln(1 + r) by root finding.

Run: python3 test/core/make-sequential-reference.py > test/core/sequential-reference.json
(SciPy 1.17.1, NumPy 2.4.6 wrote the committed file.)
"""
import json
import math

import numpy as np
from scipy import integrate, optimize, stats


def mixture_ratio(estimate, variance, tau2):
    sd = math.sqrt(variance)
    null = stats.norm.pdf(estimate, 0.0, sd)

    def integrand(theta):
        return stats.norm.pdf(estimate, theta, sd) / null * stats.norm.pdf(theta, 0.0, math.sqrt(tau2))

    width = 12 * math.sqrt(tau2)
    centre = estimate * tau2 / (tau2 + variance)  # where the integrand peaks: the posterior mean
    value, _ = integrate.quad(integrand, centre - width, centre + width, limit=800, epsabs=0, epsrel=1e-12, points=[centre])
    return value


def half_width(variance, tau2, alpha):
    f = lambda h: math.log(mixture_ratio(h, variance, tau2)) - math.log(1 / alpha)
    hi = math.sqrt(variance)
    while f(hi) < 0:
        hi *= 2
    return optimize.brentq(f, 0.0, hi, xtol=1e-14, rtol=1e-13)


def ratio_root(alpha):
    l = 2 * math.log(1 / alpha)
    return optimize.brentq(lambda r: r - l - math.log1p(r), l, l + 50, xtol=1e-14)


cases = []
for estimate, variance, tau2 in [
    (0.0, 1e-4, 8e-4),
    (0.01, 1.1e-5, 9e-6),
    (-0.02, 4e-5, 1e-5),
    (0.004, 2.5e-6, 2e-5),
    (1.5, 0.09, 0.5),
    (-3.0, 0.4, 0.4),
    (0.3, 0.01, 0.002),
]:
    cases.append({"estimate": estimate, "variance": variance, "tau2": tau2, "ratio": mixture_ratio(estimate, variance, tau2)})

widths = []
for variance, tau2, alpha in [(1e-4, 8e-4, 0.05), (1.1e-5, 9e-6, 0.05), (0.09, 0.5, 0.01), (2.5e-6, 2e-5, 0.1)]:
    widths.append({"variance": variance, "tau2": tau2, "alpha": alpha, "halfWidth": half_width(variance, tau2, alpha)})

print(json.dumps({"ratio": cases, "halfWidth": widths, "mixingRatio": [{"alpha": a, "r": ratio_root(a)} for a in (0.05, 0.01, 0.1)]}, indent=1))
