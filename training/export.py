"""ONNX export (opset 17, dynamic batch, token and word axes), golden outputs, manifest v1."""

import hashlib
import json
import os

import onnx
import torch

from data import encode_question, question_set
from model import grid_positions

OPSET = 17


class _Wrapped(torch.nn.Module):
    """Fixes the argument list the exporter traces (vision-only models take no question)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *inputs):
        return self.model(*inputs)


def export_onnx(model, path: str, token_dim: int, max_len: int):
    model.eval()
    n = 16
    tokens = torch.randn(2, n, token_dim)
    positions = grid_positions(n)
    inputs = (tokens, positions)
    input_names = ["tokens", "positions"]
    output_names = ["logits", "patch_logits"]
    axes = {
        "tokens": {0: "batch", 1: "tokens"},
        "positions": {0: "tokens"},
        "logits": {0: "batch"},
        "patch_logits": {0: "batch", 1: "tokens"},
    }
    if model.fused:
        inputs = inputs + (torch.zeros(2, max_len, dtype=torch.long),)
        input_names.append("question")
        output_names.append("answer_logit")
        axes["question"] = {0: "batch", 1: "words"}
        axes["answer_logit"] = {0: "batch"}
    tmp = path + ".tmp"
    torch.onnx.export(
        _Wrapped(model), inputs, tmp, input_names=input_names, output_names=output_names,
        dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


@torch.no_grad()
def write_golden(model, path: str, split, budgets, vocab, max_len: int, per_budget: int = 2):
    """Inputs and PyTorch outputs for the first images of `split` at every budget, for checking
    the ONNX file with onnxruntime (training/check-onnx.ts)."""
    model.eval()
    cases = []
    questions = question_set(split.labels)
    for n in budgets:
        idx = torch.arange(min(per_budget, split.count))
        tok, _, _ = split.batch(idx, n)
        pos = grid_positions(n)
        case = {"budget": n, "batch": len(idx), "tokens": tok.flatten().tolist(), "positions": pos.flatten().tolist()}
        if model.fused:
            q = [encode_question(questions[i % len(questions)][0], vocab, max_len) for i in range(len(idx))]
            q[-1] = [0] * max_len
            qt = torch.tensor(q, dtype=torch.long)
            logits, patch_logits, answer = model(tok, pos, qt)
            case["question"] = qt.flatten().tolist()
            case["questionLength"] = max_len
            case["outputs"] = {
                "logits": logits.flatten().tolist(),
                "patch_logits": patch_logits.flatten().tolist(),
                "answer_logit": answer.flatten().tolist(),
            }
        else:
            logits, patch_logits = model(tok, pos)
            case["outputs"] = {"logits": logits.flatten().tolist(), "patch_logits": patch_logits.flatten().tolist()}
        cases.append(case)
    with open(path, "w") as f:
        json.dump({"tokenDim": split.patch * split.patch * split.channels, "cases": cases}, f)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(path, onnx_path, *, name, role, labels, split, budgets, vocab, max_len, temperatures,
                   training, metrics, measured_with, native_size=None):
    io = {"tokens": "tokens", "positions": "positions", "logits": "logits", "patchLogits": "patch_logits"}
    manifest = {
        "schema": "tokenline.model-manifest.v1",
        "name": name,
        "role": role,
        "file": os.path.basename(onnx_path),
        "sha256": sha256_file(onnx_path),
        "labels": labels,
        "patchSize": split.patch,
        "channels": split.channels,
        "colorSpace": "b-w" if split.channels == 1 else "srgb",
        "normalisation": {"mean": split.mean, "std": split.std},
        "budgets": budgets,
        "io": io,
        "temperatures": temperatures,
        "training": training,
        "metrics": {k: _round(v) for k, v in metrics.items()},
    }
    if vocab is not None:
        io["question"] = "question"
        io["answerLogit"] = "answer_logit"
        manifest["question"] = {"vocab": vocab, "maxLength": max_len}
    if measured_with:
        manifest["measuredWith"] = measured_with
    if native_size:
        manifest["nativeSize"] = {"width": int(native_size["width"]), "height": int(native_size["height"])}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(_round(manifest), f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def _round(v):
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v
