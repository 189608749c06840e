"""Rebuilds the PyTorch weights of a shipped model from its ONNX file, to train it further.

  /usr/bin/python3 training/import_onnx.py --model-dir models/cloud-vit-m --out tmp/train/cloud-import.pt

Training checkpoints do not outlive a session; the ONNX file does. The exporter keeps most
parameters under their module names (`model.<name>`); the weights of linear layers that act on
3-D inputs become anonymous transposed MatMul initialisers, which are matched to the model's
linear layers in the order the graph uses them. The result is only written when the rebuilt
model reproduces the model's `golden.json` (PyTorch outputs recorded at export, on the committed
golden images tokenized by `npm run tokenize`) within its
tolerance; a model without golden.json (a candidate exported elsewhere) is written unchecked, and
golden.py plus the serving path's golden test check it instead. Writes a checkpoint `train.py --init` and `golden.py --checkpoint` read: {"model", "config", "steps", "seconds"}.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import TensorSet, encode_question  # noqa: E402
from model import TokenViT, grid_positions  # noqa: E402


def linear_order(model: TokenViT):
    """Linear weights that ONNX turns into anonymous MatMuls, in the order forward() uses them."""
    if model.config.get("stem", "mlp") == "hier":
        names = ["stem.l1.weight", "stem.l2.weight", "stem.out.weight", "stem.skip.weight"]
    else:
        names = ["stem.mlp.0.weight", "stem.mlp.2.weight", "stem.skip.weight"]
    for i in range(len(model.blocks)):
        if model.fused:
            names.append(f"film.{i}.weight")
        names += [f"blocks.{i}.attn.qkv.weight", f"blocks.{i}.attn.out.weight",
                  f"blocks.{i}.mlp.0.weight", f"blocks.{i}.mlp.2.weight"]
    names.append("patch_head.weight")
    return names


def import_weights(model: TokenViT, onnx_path: str):
    graph = onnx.load(onnx_path).graph
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    state = model.state_dict()
    out = {}
    for name in state:
        key = f"model.{name}"
        if key in inits:
            out[name] = inits.pop(key)
    used = []
    for node in graph.node:
        if node.op_type == "MatMul":
            for inp in node.input:
                if inp in inits and inp not in used and inp.startswith("onnx::MatMul"):
                    used.append(inp)
    expected = [n for n in linear_order(model) if n not in out]
    if len(used) != len(expected):
        raise SystemExit(f"{onnx_path}: {len(used)} anonymous MatMul weights for {len(expected)} linear layers")
    for name, init in zip(expected, used):
        w = inits.pop(init).t()
        if tuple(w.shape) != tuple(state[name].shape):
            raise SystemExit(f"{onnx_path}: {init} {tuple(w.shape)} does not fit {name} {tuple(state[name].shape)}")
        out[name] = w
    missing = [n for n in state if n not in out]
    if missing:
        raise SystemExit(f"{onnx_path}: no weights found for {missing}")
    model.load_state_dict(out)
    return model


@torch.no_grad()
def check_golden(model: TokenViT, golden: dict, tokens: TensorSet, vocab, max_len: int) -> float:
    """Largest |PyTorch − golden| over every case of golden.json."""
    model.eval()
    ids = {i: k for k, i in enumerate(tokens.meta["ids"])}
    worst = 0.0
    for case in golden["cases"]:
        idx = torch.tensor([ids[case["image"]]])
        tok, _, _ = tokens.batch(idx, case["budget"])
        pos = grid_positions(case["budget"])
        if model.fused:
            q = torch.tensor([encode_question(case["question"] or "", vocab, max_len)], dtype=torch.long)
            logits, patch, answer = model(tok, pos, q)
            worst = max(worst, (answer.flatten() - torch.tensor(case["answerLogit"])).abs().max().item())
        else:
            logits, patch = model(tok, pos)
        worst = max(worst, (logits.flatten() - torch.tensor(case["logits"])).abs().max().item())
        worst = max(worst, (patch.flatten() - torch.tensor(case["patchLogits"])).abs().max().item())
    return worst


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tokens", required=True, help="tensor folder of the golden images (npm run tokenize)")
    args = p.parse_args(argv)
    with open(os.path.join(args.model_dir, "manifest.json")) as f:
        manifest = json.load(f)
    model = TokenViT(**manifest["training"]["architecture"])
    import_weights(model, os.path.join(args.model_dir, manifest["file"]))
    count = sum(p.numel() for p in model.parameters())
    golden_path = os.path.join(args.model_dir, "golden.json")
    if os.path.exists(golden_path):
        with open(golden_path) as f:
            golden = json.load(f)
        q = manifest.get("question") or {}
        worst = check_golden(model, golden, TensorSet(args.tokens), q.get("vocab"), int(q.get("maxLength", 8)))
        print(f"{args.model_dir}: rebuilt {count} parameters, "
              f"largest difference to golden.json {worst:.2e} (tolerance {golden['tolerance']})")
        if worst > golden["tolerance"]:
            raise SystemExit("the rebuilt model does not reproduce golden.json; not written")
    else:
        # A candidate exported elsewhere has no golden outputs yet. Nothing here can run the ONNX
        # file (Debian's onnx 1.12 has no reference evaluator), so the check moves downstream:
        # golden.py records this checkpoint's outputs and the serving path's golden test compares
        # onnxruntime-node against them, which fails if the weights were mapped wrongly.
        print(f"{args.model_dir}: rebuilt {count} parameters; no golden.json to check against: run "
              "golden.py with this checkpoint, then the golden test (onnxruntime vs PyTorch)")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save({"model": model.state_dict(), "config": model.config, "steps": 0, "seconds": 0.0,
                "importedFrom": {"model": manifest["name"], "sha256": manifest["sha256"]}}, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
