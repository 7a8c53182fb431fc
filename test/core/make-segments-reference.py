"""Reference metrics, scores, expected values and default segments for test/core/segments-orders.csv,
computed independently of the TypeScript code (Python, NumPy and SciPy's percentileofscore), as the
README documents them. Writes test/core/segments-reference.json.

Run: python3 test/core/make-segments-reference.py
"""
import csv
import json
import math
import os
from collections import defaultdict
from datetime import datetime

import numpy as np
from scipy.stats import percentileofscore

HERE = os.path.dirname(os.path.abspath(__file__))
DAY_MS = 86_400_000


def ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)


orders = []
with open(os.path.join(HERE, "segments-orders.csv"), newline="") as f:
    for row in csv.DictReader(f):
        orders.append(row)

# The end of the UTC day of the latest order.
latest = max(ms(o["created_at"]) for o in orders)
as_of = latest // DAY_MS * DAY_MS + DAY_MS - 1
people = {}
for o in orders:
    c = people.setdefault(o["customer_id"], {"times": [], "discounted": 0, "by": defaultdict(lambda: [0, 0.0, 0.0])})
    c["times"].append(ms(o["created_at"]))
    if float(o["discount"]) > 0:
        c["discounted"] += 1
    total = float(o["total"])
    t = c["by"][o["currency"]]
    t[0] += 1
    t[1] += total
    t[2] += min(float(o["refunded"]), total)
    c.setdefault("recent", defaultdict(float))
    # Net revenue of the 365 days before as_of (the covariate `net_revenue_365d`), per currency.
    if as_of - 365 * DAY_MS < ms(o["created_at"]) <= as_of:
        c["recent"][o["currency"]] += total - min(float(o["refunded"]), total)

rows = {}
for cid, c in people.items():
    # The currency of most orders; on a tie, the larger gross.
    currency, (n_main, gross, refunded) = max(c["by"].items(), key=lambda kv: (kv[1][0], kv[1][1]))
    n = len(c["times"])
    first, last = min(c["times"]), max(c["times"])
    rows[cid] = {
        "orders": n,
        "ordersInCurrency": n_main,
        "recencyDays": max(0, (as_of - last) // DAY_MS),
        "tenureDays": max(0, (as_of - first) // DAY_MS),
        "currency": currency,
        "monetary": gross - refunded,
        "netRevenue365d": c.get("recent", {}).get(currency, 0.0),
        "aov": gross / n_main,
        "discountShare": c["discounted"] / n,
        "returnRate": refunded / gross if gross > 0 else 0.0,
        "gap": max(7.0, (last - first) / DAY_MS / (n - 1)) if n >= 2 else None,
    }

ids = list(rows)


def score(values, value):
    """1 + floor(5 * share strictly below), from SciPy's strict percentile."""
    pct = percentileofscore(values, value, kind="strict")
    return min(5, 1 + math.floor(5 * pct / 100 + 1e-9))


recency = np.array([-rows[i]["recencyDays"] for i in ids], dtype=float)
frequency = np.array([rows[i]["orders"] for i in ids], dtype=float)
for i in ids:
    rows[i]["rScore"] = score(recency, -rows[i]["recencyDays"])
    rows[i]["fScore"] = score(frequency, rows[i]["orders"])
for currency in {rows[i]["currency"] for i in ids}:
    group = [i for i in ids if rows[i]["currency"] == currency]
    monetary = np.array([rows[i]["monetary"] for i in group])
    aov = np.array([rows[i]["aov"] for i in group])
    for i in group:
        rows[i]["mScore"] = score(monetary, rows[i]["monetary"])
        rows[i]["aovScore"] = score(aov, rows[i]["aov"])

# Expected value over the next 365 days.
gaps = [rows[i]["gap"] for i in ids if rows[i]["gap"] is not None]
typical_gap = float(np.median(gaps)) if gaps else 365.0
repeat_rate = len(gaps) / len(ids)
net_order_value = {}
for currency in {rows[i]["currency"] for i in ids}:
    group = [i for i in ids if rows[i]["currency"] == currency]
    net_order_value[currency] = sum(rows[i]["monetary"] for i in group) / sum(rows[i]["ordersInCurrency"] for i in group)
for i in ids:
    r = rows[i]
    gap = r["gap"] if r["gap"] is not None else typical_gap
    active = (1.0 if r["gap"] is not None else repeat_rate) * math.exp(-max(0, r["recencyDays"] - gap) / gap)
    per_year = min(52, 365 / gap)
    k = r["ordersInCurrency"]
    value = (k * (r["monetary"] / k) + 2 * net_order_value[r["currency"]]) / (k + 2)
    r["expectedValue"] = active * per_year * value


def default_segments(r):
    """The README's default rules, in order."""
    out = []
    if r["mScore"] >= 5 and r["fScore"] >= 4 and r["rScore"] >= 3:
        out.append("vip")
    if "vip" not in out and r["aovScore"] >= 5 and r["rScore"] >= 2:
        out.append("valuable")
    if r["orders"] >= 2 and r["rScore"] <= 2:
        out.append("at_risk")
    if r["orders"] >= 2 and r["returnRate"] >= 0.3:
        out.append("high_returner")
    if r["orders"] >= 2 and r["discountShare"] >= 0.6:
        out.append("bargain_hunter")
    if r["tenureDays"] <= 30:
        out.append("new")
    if not {"vip", "valuable", "at_risk", "new"} & set(out) and r["rScore"] >= 2:
        out.append("occasional")
    return out


for i in ids:
    rows[i]["segments"] = default_segments(rows[i])
    del rows[i]["gap"]
    del rows[i]["ordersInCurrency"]

with open(os.path.join(HERE, "segments-reference.json"), "w") as f:
    json.dump({"asOf": as_of, "typicalGapDays": typical_gap, "repeatRate": repeat_rate, "customers": rows}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(rows)} customers, as of {as_of}, typical gap {typical_gap:.2f} days, repeat rate {repeat_rate:.4f}")
