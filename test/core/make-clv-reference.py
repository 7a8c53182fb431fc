"""Reference values for src/core/clv/ (the BG/NBD and Gamma-Gamma customer-value models), computed with SciPy and
NumPy (an implementation independent of ours): ln Γ, ln B and the Gauss hypergeometric 2F1 at points that exercise
every branch of ours (series, negative z, z near 1, c − a − b near an integer); and on the CDNOW sample
(test/fixtures/cdnow, a copy of ../shared/data/cdnow; calibration = the 39 weeks to 1997-09-30, same-day purchases one transaction, time in weeks,
T = days from the first purchase to 1997-09-30, divided by 7) the maximum-likelihood parameters of both models
(scipy.optimize.minimize on the log-parameters) and, at those parameters, the paper's Figure 4 table (the 39 holdout weeks' predicted and actual
repeat transactions by calibration repeat transactions) and a spread of customers' P(alive),
E[Y(39 weeks) | x, tx, T] and E[M | x, m̄].

Run: python3 test/core/make-clv-reference.py > test/core/clv-reference.json
(SciPy 1.17.1, NumPy 2.4.6 wrote the committed file.)
"""
import json
import os
from collections import defaultdict
from datetime import date

import numpy as np
from scipy import optimize, special

HERE = os.path.dirname(os.path.abspath(__file__))
CDNOW = os.path.join(HERE, "..", "fixtures", "cdnow", "CDNOW_sample.txt")
CALIBRATION_END = date(1997, 9, 30)


def day(text):
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def cdnow_customers():
    days = defaultdict(lambda: defaultdict(float))
    with open(CDNOW) as f:
        for line in f:
            cols = line.split()
            if cols:
                days[cols[1]][day(cols[2])] += float(cols[4])
    customers = []
    for cid in sorted(days):
        spend = days[cid]
        first = min(spend)
        calibration = sorted(d for d in spend if d <= CALIBRATION_END)
        repeats = [spend[d] for d in calibration[1:]]
        customers.append({
            "id": cid,
            "x": len(calibration) - 1,
            "tx": (calibration[-1] - first).days / 7,
            "T": (CALIBRATION_END - first).days / 7,
            "meanValue": float(np.mean(repeats)) if repeats else 0.0,
            "holdout": sum(1 for d in spend if d > CALIBRATION_END),
        })
    return customers


def bg_nbd_ll(params, x, tx, T):
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def gamma_gamma_ll(params, x, m):
    p, q, g = params
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(g)
            + (p * x - 1) * np.log(m * x) + np.log(x) - (p * x + q) * np.log(g + m * x))


def fit(ll, start, *data):
    def objective(v):
        return -np.sum(ll(np.exp(v), *data))
    result = optimize.minimize(objective, np.log(start), method="Nelder-Mead",
                               options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000})
    result = optimize.minimize(objective, result.x, method="BFGS", options={"gtol": 1e-9})
    return np.exp(result.x), -result.fun


def p_alive(params, x, tx, T):
    r, alpha, a, b = params
    if x == 0:
        return 1.0
    return 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def expected_orders(params, x, tx, T, t):
    r, alpha, a, b = params
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    return (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp) * p_alive(params, x, tx, T)


def expected_value(params, x, m):
    p, q, g = params
    if x == 0:
        return p * g / (q - 1)
    return p * (g + x * m) / (p * x + q - 1)


def special_values():
    hyp = [
        # series, |z| ≤ 0.9
        (0.5, 1.5, 2.5, 0.3), (1.0, 1.0, 2.0, 0.5), (2.3, 4.1, 5.7, 0.9), (0.243, 2.426, 2.219, 0.6),
        (10.24, 12.43, 12.22, 0.75), (0.5, 0.5, 1.5, 0.0001),
        # negative z (A&S 15.3.4)
        (1.2, 2.3, 3.4, -0.5), (0.7, 1.9, 2.1, -3.0), (2.0, 3.0, 4.5, -20.0),
        # z near 1 (A&S 15.3.6)
        (0.243, 2.426, 2.219, 0.95), (1.243, 3.426, 3.219, 0.99), (5.243, 7.426, 7.219, 0.999),
        (0.3, 0.4, 2.5, 0.9999), (2.5, 1.5, 4.7, 0.97),
        # z near 1 with c − a − b an integer or close to one (the slow series)
        (1.0, 1.0, 2.0, 0.99), (0.5, 1.5, 3.0, 0.95), (1.5, 2.5, 4.0005, 0.98),
    ]
    x = [0.01, 0.243, 0.5, 1.0, 1.5, 2.426, 7.3, 42.0, 171.5, 1e4]
    ab = [(0.5, 0.5), (0.793, 2.426), (1.0, 1.0), (6.25, 3.74), (12.5, 300.0), (0.01, 50.0)]
    return {
        "hyp2f1": [[a, b, c, z, float(special.hyp2f1(a, b, c, z))] for a, b, c, z in hyp],
        "lnGamma": [[v, float(special.gammaln(v))] for v in x],
        "lnBeta": [[a, b, float(special.betaln(a, b))] for a, b in ab],
    }


def main():
    customers = cdnow_customers()
    x = np.array([c["x"] for c in customers], dtype=float)
    tx = np.array([c["tx"] for c in customers])
    T = np.array([c["T"] for c in customers])
    bg, bg_ll = fit(bg_nbd_ll, [1.0, float(T.mean()), 1.0, 1.0], x, tx, T)
    spenders = [c for c in customers if c["x"] >= 1 and c["meanValue"] > 0]
    gx = np.array([c["x"] for c in spenders], dtype=float)
    gm = np.array([c["meanValue"] for c in spenders])
    gg, gg_ll = fit(gamma_gamma_ll, [1.0, 1.0, float(gm.mean())], gx, gm)
    figure4 = defaultdict(lambda: {"customers": 0, "actual": 0, "predicted": 0.0})
    for c in customers:
        row = figure4["7+" if c["x"] >= 7 else str(c["x"])]
        row["customers"] += 1
        row["actual"] += c["holdout"]
        row["predicted"] += float(expected_orders(bg, c["x"], c["tx"], c["T"], 39.0))
    # A spread: every 59th customer, and the ones with the most repeat purchases.
    chosen = customers[::59] + sorted(customers, key=lambda c: -c["x"])[:5]
    return {
        "special": special_values(),
        "cdnow": {
            "customers": len(customers),
            "repeatTransactions": int(x.sum()),
            "spenders": len(spenders),
            "bgNbd": {"params": dict(zip(["r", "alpha", "a", "b"], map(float, bg))), "logLikelihood": float(bg_ll)},
            "gammaGamma": {"params": dict(zip(["p", "q", "gamma"], map(float, gg))), "logLikelihood": float(gg_ll)},
            "holdoutTransactions": sum(c["holdout"] for c in customers),
            # The paper's Figure 4: by calibration repeat transactions, the holdout's actual and predicted (the sum of
            # E[Y(39 weeks) | x, tx, T] at SciPy's parameters) repeat transactions.
            "figure4": dict(sorted(figure4.items())),
            "perCustomer": [
                {
                    "id": c["id"], "x": c["x"], "tx": c["tx"], "T": c["T"], "meanValue": c["meanValue"],
                    "probabilityAlive": float(p_alive(bg, c["x"], c["tx"], c["T"])),
                    "expectedRepeatOrders39": float(expected_orders(bg, c["x"], c["tx"], c["T"], 39.0)),
                    "expectedRepeatOrders520": float(expected_orders(bg, c["x"], c["tx"], c["T"], 520.0)),
                    "expectedOrderValue": float(expected_value(gg, c["x"], c["meanValue"])),
                }
                for c in chosen
            ],
        },
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
