"""Metrics per budget: accuracy, per-class recall, ECE, temperature fitting, question fusion."""

import math

import torch
import torch.nn.functional as F

from data import answer_for, encode_question, question_set
from model import grid_positions


@torch.no_grad()
def predict(model, split, n: int, question_ids=None, batch: int = 32):
    """Class logits [M,K], patch logits [M,N] and (fused models) answer logits [M] for a split."""
    model.eval()
    pos = grid_positions(n)
    logits, patches, answers = [], [], []
    for start in range(0, split.count, batch):
        idx = torch.arange(start, min(start + batch, split.count))
        tok, _, _ = split.batch(idx, n)
        if model.fused:
            q = question_ids if question_ids is not None else [0] * model.config["max_question"]
            qt = torch.tensor([q] * len(idx), dtype=torch.long)
            lg, pl, ans = model(tok, pos, qt)
            answers.append(ans.squeeze(-1))
        else:
            lg, pl = model(tok, pos)
        logits.append(lg)
        patches.append(pl)
    return (
        torch.cat(logits),
        torch.cat(patches),
        torch.cat(answers) if answers else None,
    )


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Temperature T minimising validation NLL of softmax(logits / T), by log-spaced grid search."""
    best_t, best_nll = 1.0, math.inf
    for i in range(241):
        t = math.exp(math.log(0.2) + i * (math.log(10.0) - math.log(0.2)) / 240)
        nll = F.cross_entropy(logits / t, y).item()
        if nll < best_nll:
            best_t, best_nll = t, nll
    return best_t


def expected_calibration_error(probs: torch.Tensor, y: torch.Tensor, bins: int = 15) -> float:
    conf, pred = probs.max(dim=1)
    correct = (pred == y).float()
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.float().mean().item() * abs(conf[sel].mean().item() - correct[sel].mean().item())
    return ece


def class_metrics(logits: torch.Tensor, y: torch.Tensor, labels, temperature: float = 1.0):
    probs = torch.softmax(logits / temperature, dim=1)
    pred = probs.argmax(dim=1)
    recall = {}
    for k, lab in enumerate(labels):
        sel = y == k
        recall[lab] = (pred[sel] == k).float().mean().item() if sel.any() else 0.0
    return {
        "accuracy": (pred == y).float().mean().item(),
        "perClassRecall": recall,
        "ece": expected_calibration_error(probs, y),
        "samples": int(y.numel()),
    }


def fusion_metrics(model, split, n: int, vocab, max_len: int, temperature: float):
    """Yes/no accuracy per question: fused answer head vs the same model's class probabilities
    with no question (yes iff P(named class) > 0.5, or P(ok) < 0.5 for "any defect?")."""
    labels = split.labels
    base_logits, _, _ = predict(model, split, n)
    base = torch.softmax(base_logits / temperature, dim=1)
    out = {}
    for text, named in question_set(labels):
        truth = torch.tensor([answer_for(labels[int(c)], named, labels[int(a)] if a >= 0 else None)
                              for c, a in zip(split.y, split.also_y)])
        _, _, ans = predict(model, split, n, encode_question(text, vocab, max_len))
        fused = (ans > 0).float()
        if named is None:
            p_yes = 1.0 - base[:, labels.index("ok")]
        else:
            p_yes = base[:, labels.index(named)]
        plain = (p_yes > 0.5).float()
        out[text] = {
            "fused": (fused == truth).float().mean().item(),
            "withoutQuestion": (plain == truth).float().mean().item(),
            "samples": int(truth.numel()),
        }
    return out
