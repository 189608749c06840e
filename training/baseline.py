"""Plain baselines beside a token model: does the token model earn its keep?

  /usr/bin/python3 training/baseline.py --train <tensors> --val <tensors> [--test <tensors>]
      --budget 16 --minutes 8 --out <work>/baseline.json [--threads 1]

Both read the same token tensors as the token model at one budget (the one nearest the images'
native resolution), reassembled into the S×S image (S = √N · patch), with the same normalisation:
  - logistic: logistic regression on the pixels (one linear layer, softmax);
  - cnn: a small CNN, conv3×3(16)–ReLU–maxpool–conv3×3(32)–ReLU–maxpool–conv3×3(64)–ReLU–global
    average pool–linear, with left-right flips;
each trained with AdamW for at most `minutes` of wall time (the token model's budget), keeping the
epoch with the best validation accuracy and stopping after `patience` epochs without a better one.
Writes {model: {valAccuracy, testAccuracy, seconds, epochs, parameters}} as JSON and prints one
line per model with `baseline <model> ... test-acc <a>`.
"""

import argparse
import copy
import json
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import TensorSet  # noqa: E402
from labels_recipe import to_image  # noqa: E402


def images(split: TensorSet, n: int) -> torch.Tensor:
    tok, _, _ = split.batch(torch.arange(split.count), n)
    return to_image(tok, split.patch, split.channels)


class SmallCNN(nn.Module):
    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Linear(64, classes)

    def forward(self, x):
        return self.head(self.body(x).mean(dim=(2, 3)))


class Logistic(nn.Module):
    def __init__(self, pixels: int, classes: int):
        super().__init__()
        self.linear = nn.Linear(pixels, classes)

    def forward(self, x):
        return self.linear(x.flatten(1))


def accuracy(model, x, y, batch=256):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return (pred == y).float().mean().item()


def fit(name, model, xs, args, flips):
    (xtr, ytr), (xva, yva) = xs["train"], xs["val"]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    best, best_epoch, best_state, epoch = -1.0, 0, None, 0
    while time.time() - t0 < args.minutes * 60 and epoch - best_epoch < args.patience:
        epoch += 1
        model.train()
        order = torch.randperm(len(xtr), generator=gen)
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            x = xtr[idx]
            if flips:
                flip = torch.rand(len(idx), generator=gen) < 0.5
                x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
            loss = F.cross_entropy(model(x), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if time.time() - t0 >= args.minutes * 60:
                break
        acc = accuracy(model, xva, yva)
        if acc > best:
            best, best_epoch, best_state = acc, epoch, copy.deepcopy(model.state_dict())
        print(f"baseline {name} epoch {epoch} t={time.time() - t0:.0f}s val-acc {acc:.3f}", flush=True)
    model.load_state_dict(best_state)
    return {"valAccuracy": round(best, 4), "seconds": round(time.time() - t0, 1), "epochs": epoch,
            "bestEpoch": best_epoch, "parameters": sum(p.numel() for p in model.parameters())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--test")
    p.add_argument("--budget", type=int, required=True)
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--out", required=True)
    p.add_argument("--models", default="logistic,cnn")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=15)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    splits = {"train": TensorSet(args.train, [args.budget]), "val": TensorSet(args.val, [args.budget])}
    if args.test:
        splits["test"] = TensorSet(args.test, [args.budget])
    xs = {k: (images(s, args.budget), s.y) for k, s in splits.items()}
    c, side = xs["train"][0].shape[1], xs["train"][0].shape[2]
    classes = len(splits["train"].labels)
    results = {}
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        model = SmallCNN(c, classes) if name == "cnn" else Logistic(c * side * side, classes)
        r = fit(name, model, xs, args, flips=name == "cnn")
        if "test" in xs:
            r["testAccuracy"] = round(accuracy(model, *xs["test"]), 4)
        results[name] = r
        print(f"baseline {name} done: {r['parameters']} parameters, {r['epochs']} epochs in {r['seconds']:.0f} s, "
              f"val-acc {r['valAccuracy']:.3f}" + (f" test-acc {r['testAccuracy']:.3f}" if "testAccuracy" in r else ""),
              flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"budget": args.budget, "imageSide": side, "models": results}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
