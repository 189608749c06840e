"""Token tensors written by `npm run tokenize`, and question encoding.

Directory layout (written by cli/tokenize.ts; read-only here):
  meta.json           {count, patchSize, channels, budgets, labels, y[count], ids[count],
                       hasMasks, mean[C], std[C], ...}
  tokens_n{N}.u8      uint8 [count, N, P*P*C] row-major; token t = row*g + col,
                      pixel (y, x, c) of a patch at (y*P + x)*C + c
  patch_n{N}.u8       uint8 [count, N] defect coverage fraction of each patch × 255
                      (present when hasMasks; every defect of the image)
  also_n{N}.u8        uint8 [count, N] coverage of the second defect alone × 255, with
                      alsoY[count] (its class index, -1 for none) in meta.json; only for
                      datasets generated with --second-defect
Normalisation: float = (u8 / 255 − mean[c]) / std[c].
"""

import json
import math
import os
import re

import numpy as np
import torch

DEFAULT_VOCAB = ["<pad>", "<unk>", "any", "defect", "is", "there", "a", "scratch", "pit", "stain", "crack"]
DEFAULT_MAX_QUESTION = 8


class TensorSet:
    """All budgets of one tokenized split, held in memory as uint8."""

    def __init__(self, root: str, budgets=None):
        with open(os.path.join(root, "meta.json")) as f:
            self.meta = json.load(f)
        m = self.meta
        self.root = root
        self.count = int(m["count"])
        self.patch = int(m["patchSize"])
        self.channels = int(m["channels"])
        self.labels = list(m["labels"])
        self.mean = [float(v) for v in m["mean"]]
        self.std = [float(v) for v in m["std"]]
        self.y = torch.tensor(m["y"], dtype=torch.long)
        self.has_masks = bool(m.get("hasMasks", False))
        # Second defect per image (-1: none); every image has one class, some also a second defect.
        self.also_y = torch.tensor(m.get("alsoY") or [-1] * self.count, dtype=torch.long)
        self.also = {}
        self.budgets = [int(b) for b in (budgets or m["budgets"])]
        dim = self.patch * self.patch * self.channels
        self.tokens = {}
        self.patches = {}
        for n in self.budgets:
            if n not in [int(b) for b in m["budgets"]]:
                raise ValueError(f"budget {n} not in {root}/meta.json budgets {m['budgets']}")
            raw = np.fromfile(os.path.join(root, f"tokens_n{n}.u8"), dtype=np.uint8)
            if raw.size != self.count * n * dim:
                raise ValueError(
                    f"tokens_n{n}.u8 in {root}: expected {self.count * n * dim} bytes, received {raw.size}"
                )
            self.tokens[n] = torch.from_numpy(raw.reshape(self.count, n, dim))
            path = os.path.join(root, f"patch_n{n}.u8")
            if self.has_masks and os.path.exists(path):
                praw = np.fromfile(path, dtype=np.uint8)
                self.patches[n] = torch.from_numpy(praw.reshape(self.count, n))
            apath = os.path.join(root, f"also_n{n}.u8")
            if "alsoY" in m and os.path.exists(apath):
                self.also[n] = torch.from_numpy(np.fromfile(apath, dtype=np.uint8).reshape(self.count, n))

    def normalise(self, u8: torch.Tensor) -> torch.Tensor:
        x = u8.float() / 255.0
        c = self.channels
        mean = torch.tensor(self.mean * (c // len(self.mean)), dtype=torch.float32)
        std = torch.tensor(self.std * (c // len(self.std)), dtype=torch.float32)
        x = x.reshape(*x.shape[:-1], -1, c)
        return ((x - mean) / std).reshape(u8.shape)

    def batch(self, idx: torch.Tensor, n: int):
        """(tokens float32 [B,N,D], class [B], patch coverage float [B,N] or None)."""
        tok = self.normalise(self.tokens[n][idx])
        cov = self.patches[n][idx].float() / 255.0 if n in self.patches else None
        return tok, self.y[idx], cov

    def also_batch(self, idx: torch.Tensor, n: int):
        """(second defect's class [B], -1 for none; its coverage float [B,N], zeros without one)."""
        if n in self.also:
            return self.also_y[idx], self.also[n][idx].float() / 255.0
        return self.also_y[idx], torch.zeros(len(idx), n)


def augment(tokens: torch.Tensor, cov, patch: int, channels: int, gen: torch.Generator):
    """Random flips and transpose of the whole image, done on the token grid (8 dihedral views)."""
    b, n, _ = tokens.shape
    g = int(round(math.sqrt(n)))
    x = tokens.reshape(b, g, g, patch, patch, channels)
    # cov may stack several [B, N] maps along the batch axis; every map gets the same view.
    c = cov.reshape(-1, g, g) if cov is not None else None
    flips = torch.randint(0, 2, (3,), generator=gen).tolist()
    if flips[0]:
        x, c = x.flip(2, 4), (c.flip(2) if c is not None else None)
    if flips[1]:
        x, c = x.flip(1, 3), (c.flip(1) if c is not None else None)
    if flips[2]:
        x = x.permute(0, 2, 1, 4, 3, 5)
        c = c.permute(0, 2, 1) if c is not None else None
    x = x.reshape(b, n, -1)
    return x, (c.reshape(-1, n) if c is not None else None)


def encode_question(text: str, vocab, max_len: int):
    """Lower-case, non [a-z0-9] -> space, split, word ids (1 = unknown), pad with 0 to max_len."""
    index = {w: i for i, w in enumerate(vocab)}
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    ids = [index.get(w, 1) for w in words][:max_len]
    return ids + [0] * (max_len - len(ids))


def question_set(labels):
    """Questions the platform asks and the class each one names (None = any defect)."""
    out = []
    if "ok" in labels:
        out.append(("any defect?", None))
    for lab in labels:
        if lab != "ok":
            out.append((f"is there a {lab}?", lab))
    return out


def answer_for(label: str, named, also=None):
    """Yes iff the image is defective (named None) or its class, or its second defect's (`also`),
    is the named class."""
    if named is None:
        return 1.0 if label != "ok" else 0.0
    return 1.0 if label == named or also == named else 0.0


def vocab_for(labels, base=None):
    """Base vocabulary plus any label word it lacks, so every generated question is known."""
    vocab = list(base or DEFAULT_VOCAB)
    for q, _ in question_set(labels):
        for w in re.sub(r"[^a-z0-9]+", " ", q.lower()).split():
            if w not in vocab:
                vocab.append(w)
    return vocab
