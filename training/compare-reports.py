"""Side-by-side accuracy and per-class recall of two models' scaling reports (npm run eval output).

  python3 training/compare-reports.py models/edge-vit-s/scaling.json models/cloud-vit-m/scaling.json

Prints, per budget of either report, both models' accuracy and recall per class and the
difference (second − first); budgets only one model supports show the other as "–". Then every
cell (budget × overall or class) where the second model is not strictly above the first, with the
difference in images (recall × the class's image count, accuracy × the report's image count), or
"none". Then the second model at its largest budget against the first model at every budget (the escalation
question: is a case sent up more often right than the edge would have got it at any budget?).
Markdown, for models/README.md.
"""

import json
import sys


def load(path):
    with open(path) as f:
        r = json.load(f)
    return r["model"], {p["budget"]: p for p in r["points"]}


def cell(p, key):
    if p is None:
        return None
    return p["accuracy"] if key == "accuracy" else p["perClass"][key]["recall"]


def main():
    a_name, a = load(sys.argv[1])
    b_name, b = load(sys.argv[2])
    keys = ["accuracy"] + list(next(iter(b.values()))["perClass"].keys())
    print(f"| N | " + " | ".join(f"{k} {a_name} / {b_name} (Δ)" for k in keys) + " |")
    print("|---:|" + "---|" * len(keys))
    worst = None
    for n in sorted(set(a) | set(b)):
        cols = []
        for k in keys:
            x, y = cell(a.get(n), k), cell(b.get(n), k)
            if x is None or y is None:
                cols.append(f"{'–' if x is None else f'{x:.3f}'} / {'–' if y is None else f'{y:.3f}'}")
                continue
            d = y - x
            worst = d if worst is None or d < worst else worst
            cols.append(f"{x:.3f} / {y:.3f} ({d:+.3f})")
        print(f"| {n} | " + " | ".join(cols) + " |")
    print(f"\nsmallest difference at equal budget: {worst:+.3f}")
    not_above = []
    for n in sorted(set(a) & set(b)):
        for k in keys:
            x, y = cell(a[n], k), cell(b[n], k)
            if y <= x:
                count = b[n]["perClass"][k]["count"] if k != "accuracy" else sum(
                    c["count"] for c in b[n]["perClass"].values())
                not_above.append(f"- N={n} {k}: {x:.4f} / {y:.4f} ({round((y - x) * count):+d} of {count} images)")
    print(f"\n{b_name} not strictly above {a_name} at equal budget: "
          + (f"{len(not_above)} cells" if not_above else "none"))
    for line in not_above:
        print(line)
    top = max(b)
    print(f"\n{b_name} at N={top} against {a_name} at every budget:\n")
    print("| " + a_name + " N | " + " | ".join(f"{k} Δ" for k in keys) + " |")
    print("|---:|" + "---:|" * len(keys))
    for n in sorted(a):
        print(f"| {n} | " + " | ".join(f"{cell(b[top], k) - cell(a[n], k):+.3f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
