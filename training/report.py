"""Markdown tables for the model card from the metrics that train.py wrote into manifests.

  /usr/bin/python3 training/report.py models/edge-vit-s models/cloud-vit-m

Per model: test accuracy, ECE and per-class recall per budget, and the least-squares fits on
log-log axes of error(N) = c·N^(−α) (error = 1 − accuracy or 1 − recall; an error of 0 is
floored at half an error over the class's samples so the log exists) and, per class, of
recall(N) = c·N^β (the token-scaling paper's performance form; β ≈ 0 is flat). Cloud models also get
the question-fusion table (yes/no accuracy with the question fused vs read off the class head).
"""

import json
import math
import os
import sys


def fit_power_law(ns, errors):
    xs = [math.log(n) for n in ns]
    ys = [math.log(e) for e in errors]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return math.exp(intercept), -slope, r2


def table(model_dir):
    with open(os.path.join(model_dir, "manifest.json")) as f:
        m = json.load(f)
    metrics = m.get("metrics", {})
    if not metrics:
        return f"{m['name']}: no test metrics in its manifest\n"
    ns = sorted(int(n) for n in metrics)
    labels = m["labels"]
    out = [f"### {m['name']} ({m['role']}, {m['training'].get('parameters', '?')} parameters)\n"]
    out.append("| tokens N | accuracy | ECE | " + " | ".join(f"recall {lab}" for lab in labels) + " |")
    out.append("|---" * (3 + len(labels)) + "|")
    for n in ns:
        r = metrics[str(n)]
        out.append(
            f"| {n} | {r['accuracy']:.3f} | {r.get('ece', float('nan')):.3f} | "
            + " | ".join(f"{r['perClassRecall'][lab]:.3f}" for lab in labels)
            + " |"
        )
    out.append("")
    out.append("| fit | error(N) = c·N^(−α): α | c | R² | recall(N) = c·N^β: β | R² |")
    out.append("|---|---|---|---|---|---|")
    rows = [("overall", [1 - metrics[str(n)]["accuracy"] for n in ns], metrics[str(ns[0])]["samples"])]
    for lab in labels:
        per_class = metrics[str(ns[0])]["samples"] / len(labels)
        rows.append((lab, [1 - metrics[str(n)]["perClassRecall"][lab] for n in ns], per_class))
    for name, errs, samples in rows:
        floor = 0.5 / max(samples, 1)
        c, alpha, r2 = fit_power_law(ns, [max(e, floor) for e in errs])
        growth = "| – | –"
        if name != "overall":
            _, neg_beta, r2g = fit_power_law(ns, [max(1 - e, floor) for e in errs])
            growth = f"| {-neg_beta:.3f} | {r2g:.3f}"
        out.append(f"| {name} | {alpha:.3f} | {c:.3f} | {r2:.3f} {growth} |")
    fusion = m["training"].get("questionFusion")
    if fusion:
        out.append("")
        out.append("| question | N | yes/no accuracy, question fused | from class head, no question | gain |")
        out.append("|---|---|---|---|---|")
        for n in ns:
            for q, r in fusion[str(n)].items():
                out.append(
                    f"| {q} | {n} | {r['fused']:.3f} | {r['withoutQuestion']:.3f} | "
                    f"{r['fused'] - r['withoutQuestion']:+.3f} |"
                )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    for d in sys.argv[1:]:
        print(table(d))
