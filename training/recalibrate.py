"""Refits a shipped model's temperatures on a labelled split it will meet, without retraining.

  /usr/bin/python3 training/import_onnx.py --model-dir models/edge-vit-s --out tmp/train/edge-import.pt --tokens tmp/golden-tok8
  /usr/bin/python3 training/recalibrate.py --model-dir models/edge-vit-s --checkpoint tmp/train/edge-import.pt \
      --data data/tok/val2 [--check data/tok/test data/tok/test2] [--write]

Temperature scaling (one T per budget, minimising the NLL of softmax(logits / T)) changes the
confidence of every answer and never the answer itself: accuracy and recall stay as they are, the
ECE and the NLL move. Prints, per budget, the old and the new temperature with ECE and NLL on the
fitting split and on each --check split; with --write, stores the new temperatures in the
manifest and records where they were fitted (`training.recalibration`). The ONNX file and
golden.json (raw logits) do not change.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import TensorSet  # noqa: E402
from evaluate import expected_calibration_error, fit_temperature, predict  # noqa: E402
from model import TokenViT  # noqa: E402


def scores(logits: torch.Tensor, y: torch.Tensor, t: float) -> dict:
    probs = F.softmax(logits / t, dim=1)
    return {
        "ece": round(expected_calibration_error(probs, y), 4),
        "nll": round(F.cross_entropy(logits / t, y).item(), 4),
        "accuracy": round((probs.argmax(dim=1) == y).float().mean().item(), 4),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--checkpoint", required=True, help="weights rebuilt by training/import_onnx.py")
    p.add_argument("--data", required=True, help="tokenized labelled split to fit on (npm run tokenize)")
    p.add_argument("--check", nargs="*", default=[], help="tokenized splits to report ECE/NLL on")
    p.add_argument("--write", action="store_true", help="store the new temperatures in manifest.json")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    manifest_path = os.path.join(args.model_dir, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    model = TokenViT(**manifest["training"]["architecture"])
    model.load_state_dict(torch.load(args.checkpoint)["model"])
    budgets = [int(b) for b in manifest["budgets"]]
    old = {str(n): float(manifest["temperatures"].get(str(n), 1.0)) for n in budgets}

    fit = TensorSet(args.data, budgets)
    checks = [(path, TensorSet(path, budgets)) for path in args.check]
    new, report = {}, {}
    print("| N | T before | T after | split | accuracy | ECE before | ECE after | NLL before | NLL after |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for n in budgets:
        logits, _, _ = predict(model, fit, n)
        new[str(n)] = round(fit_temperature(logits, fit.y), 4)
        report[str(n)] = {}
        for name, split, lg in [(args.data, fit, logits)] + [
            (path, split, predict(model, split, n)[0]) for path, split in checks
        ]:
            before, after = scores(lg, split.y, old[str(n)]), scores(lg, split.y, new[str(n)])
            report[str(n)][name] = {"before": before, "after": after}
            print(f"| {n} | {old[str(n)]} | {new[str(n)]} | {name} | {before['accuracy']:.3f} | "
                  f"{before['ece']:.3f} | {after['ece']:.3f} | {before['nll']:.3f} | {after['nll']:.3f} |",
                  flush=True)

    if args.write:
        seeds = [s for s in ((fit.meta.get("samples") or {}).get("seed") or []) if s is not None]
        manifest["temperatures"] = new
        manifest["training"]["recalibration"] = {
            "command": " ".join([sys.executable] + (argv if argv is not None else sys.argv)),
            "data": args.data,
            "images": fit.count,
            **({"dataSeeds": [int(min(seeds)), int(max(seeds))]} if seeds else {}),
            "previousTemperatures": old,
            "report": report,
        }
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"wrote temperatures to {manifest_path}")


if __name__ == "__main__":
    main()
