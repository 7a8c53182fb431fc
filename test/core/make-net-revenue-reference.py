"""Reference values for net revenue per visitor and refund rate (src/core/experiment-results.ts over the sums an
ExperimentShard makes, src/storage/experiment-shard.ts), computed independently from raw per-unit data with NumPy
and SciPy: each unit's orders and refunds are netted here in Python (an order's refunds in its currency, capped at
the order's value; refunds in another currency or of orders never counted reduce nothing), then Welch's t-test
(scipy.stats.ttest_ind), the Student-t interval of each mean (Wilson's, scipy.stats.binomtest, for the rate), and the mSPRT's always-valid p-value by numerical
integration of the mixture likelihood ratio (as make-sequential-reference.py does).

Run: python3 test/core/make-net-revenue-reference.py > test/core/net-revenue-reference.json
(SciPy 1.17.1, NumPy 2.4.6 wrote the committed file.)
"""
import json
import math

import numpy as np
from scipy import integrate, optimize, stats

rng = np.random.default_rng(14)
EXPECTED_UNITS = 1000
ALPHA = 0.05

units = []
for variant, units_n, buy_p, refund_p in [("control", 520, 0.3, 0.35), ("free-returns", 480, 0.38, 0.2)]:
    for i in range(units_n):
        unit = f"{variant}-{i:04d}"
        orders, refunds = [], []
        for k in range(rng.choice([0, 1, 2], p=[1 - buy_p, buy_p * 0.8, buy_p * 0.2])):
            order = f"{unit}-o{k}"
            value = float(round(rng.gamma(2.0, 30.0), 2))
            orders.append({"id": order, "value": value, "currency": "EUR"})
            if rng.random() < refund_p:
                # One to three partial refunds; now and then more than the order's value.
                for r in range(rng.integers(1, 4)):
                    refunds.append({"order": order, "id": f"r{r}", "value": float(round(value * rng.uniform(0.1, 0.7), 2)), "currency": "EUR"})
            if rng.random() < 0.05:
                refunds.append({"order": order, "id": "usd", "value": 5.0, "currency": "USD"})
        if rng.random() < 0.03:
            refunds.append({"order": f"{unit}-never-bought", "id": "x", "value": 9.0, "currency": "EUR"})
        units.append({"unit": unit, "variant": variant, "orders": orders, "refunds": refunds})


def net_of(u):
    total, refunded = 0.0, False
    for o in u["orders"]:
        back = sum(r["value"] for r in u["refunds"] if r["order"] == o["id"] and r["currency"] == o["currency"])
        refunded = refunded or any(r["order"] == o["id"] and r["currency"] == o["currency"] for r in u["refunds"])
        total += o["value"] - min(o["value"], back)
    return total, refunded


def mixing_ratio(alpha):
    l = 2 * math.log(1 / alpha)
    return optimize.brentq(lambda r: r - l - math.log1p(r), l, l + 50, xtol=1e-14)


def mixture_ratio(estimate, variance, tau2):
    sd = math.sqrt(variance)
    null = stats.norm.pdf(estimate, 0.0, sd)
    f = lambda theta: stats.norm.pdf(estimate, theta, sd) / null * stats.norm.pdf(theta, 0.0, math.sqrt(tau2))
    centre = estimate * tau2 / (tau2 + variance)
    width = 12 * math.sqrt(tau2) + abs(centre)
    value, _ = integrate.quad(f, centre - width, centre + width, limit=800, epsabs=0, epsrel=1e-12, points=[centre])
    return value


def metric(values_by_variant, binary=False, conversions=None):
    c = np.asarray(values_by_variant["control"], dtype=float)
    t = np.asarray(values_by_variant["free-returns"], dtype=float)
    welch = stats.ttest_ind(t, c, equal_var=False)
    means = {}
    for name, x in values_by_variant.items():
        x = np.asarray(x, dtype=float)
        if binary:
            ci = stats.binomtest(int(x.sum()), x.size).proportion_ci(0.95, method="wilson")
            interval = [float(ci.low), float(ci.high)]
        else:
            m = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
            interval = [float(x.mean() - m), float(x.mean() + m)]
        means[name] = {"value": float(x.mean()), "conversions": conversions[name] if conversions else int(np.count_nonzero(x)), "interval": interval}
    variance = c.var(ddof=1) / c.size + t.var(ddof=1) / t.size
    tau2 = mixing_ratio(ALPHA) * variance * ((c.size + t.size) / 2 / EXPECTED_UNITS)
    estimate = float(t.mean() - c.mean())
    return {"variants": means, "absolute": estimate, "pValue": float(welch.pvalue), "sequentialPValue": min(1.0, 1 / mixture_ratio(estimate, variance, tau2))}


net, refunded = {"control": [], "free-returns": []}, {"control": [], "free-returns": []}
# The units with an order: the "conversions" of revenue per visitor, net or not (an order refunded in full still counts).
buyers = {v: sum(1 for u in units if u["variant"] == v and u["orders"]) for v in net}
for u in units:
    total, was_refunded = net_of(u)
    net[u["variant"]].append(total)
    # Refund rate is among the units that bought: a unit without an order is in neither count.
    if u["orders"]:
        refunded[u["variant"]].append(1.0 if was_refunded else 0.0)

print(json.dumps({"expectedUnitsPerVariant": EXPECTED_UNITS, "units": units, "netRevenuePerVisitor": metric(net, conversions=buyers), "refundRate": metric(refunded, binary=True)}, indent=1))
