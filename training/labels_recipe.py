"""Training from image labels alone (a plant's own `<class>/*.png` folder, no defect masks).

The masks recipe (train.py's train_loop) leans on per-patch coverage targets; without them it has
little signal. This one is the usual small-data image recipe, on the same token tensors:
  - stem: the hierarchical patch stem (model.HierStem), chosen by train.py for this recipe;
  - augmentation: random left-right flip and a random shift of up to `shift` of the image side
    (edge pixels repeated), done on the image reassembled from the tokens, then re-tokenised;
    no up-down flips or transposes (a photo's up is usually meaningful, a boot is not a boot
    upside down);
  - class balance: every batch is drawn with weights 1/(images of the class);
  - epochs over the training split; after each, accuracy on (up to `eval_samples` images of) the
    validation split at every budget; the best mean is kept (early stopping: from half the time
    on, training ends after `patience` epochs without a new best, else when the time is up; the
    best weights are restored);
  - AdamW with a cosine learning rate over the wall-clock budget, label smoothing 0.1.
Prints one line per epoch with `t=<s>s` (the runner's progress bar reads it).

Native resolution: `native_budget` is the largest budget whose grid does not exceed the source
images' size (lib/scaling/native-resolution.ts has the rule). Budgets above it are upsampled views
of the same pixels. By default (train.py --native-cap auto) the model resamples them back to the
native grid (model.NativeResample): every budget is still drawn (with the role's weights), so the
model learns the slightly softer native view an upsampled-then-resampled image gives, at the
native compute; with --native-cap off every budget runs the transformer on its own grid.
"""

import copy
import json
import math
import time

import torch
import torch.nn.functional as F

from model import grid_positions


def native_budget(budgets, patch: int, native_side):
    """Largest budget N = g² with g <= ceil(native_side / patch); the smallest budget when none is;
    None without a known native side."""
    if not native_side:
        return None
    cap = math.ceil(native_side / patch)
    within = [n for n in budgets if round(math.sqrt(n)) <= cap]
    return max(within) if within else min(budgets)


def to_image(tokens: torch.Tensor, patch: int, channels: int) -> torch.Tensor:
    """[B, N, P·P·C] token rows → [B, C, S, S] image, S = g·P (inverse of the tokenizer's layout)."""
    b, n, _ = tokens.shape
    g = int(round(math.sqrt(n)))
    x = tokens.reshape(b, g, g, patch, patch, channels).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(b, channels, g * patch, g * patch)


def to_tokens(image: torch.Tensor, patch: int) -> torch.Tensor:
    """[B, C, S, S] → [B, N, P·P·C] (the tokenizer's layout)."""
    b, c, s, _ = image.shape
    g = s // patch
    x = image.reshape(b, c, g, patch, g, patch).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, g * g, patch * patch * c)


def augment_labels(tokens, patch: int, channels: int, gen: torch.Generator, shift: float = 0.1):
    """Per image: left-right flip with probability 1/2 and a shift of up to `shift`·S pixels on
    each axis (replicate padding), on the token grid of any budget."""
    img = to_image(tokens, patch, channels)
    b, _, s, _ = img.shape
    flip = torch.rand(b, generator=gen) < 0.5
    img = torch.where(flip.view(b, 1, 1, 1), img.flip(3), img)
    m = int(round(s * shift))
    if m > 0:
        padded = F.pad(img, (m, m, m, m), mode="replicate")
        off = torch.randint(0, 2 * m + 1, (b, 2), generator=gen).tolist()
        img = torch.stack([padded[i, :, oy:oy + s, ox:ox + s] for i, (oy, ox) in enumerate(off)])
    return to_tokens(img, patch)


def _accuracy(model, split, n, limit, batch=100):
    model.eval()
    pos = grid_positions(n)
    hit = 0
    count = min(limit, split.count)
    with torch.no_grad():
        for start in range(0, count, batch):
            idx = torch.arange(start, min(start + batch, count))
            tok, y, _ = split.batch(idx, n)
            logits = model(tok, pos)[0]
            hit += (logits.argmax(1) == y).sum().item()
    return hit / max(count, 1)


def train_loop_labels(args, model, train, val, budgets, weights, log, lr_at, patience=20):
    """Trains `model` in place, every step at one of `budgets` drawn with `weights`, and validates
    at every budget after every epoch; returns (seconds, steps, summary dict for the manifest).
    Early stopping starts at half the time: before that the learning rate is still high and a
    noisy plateau says little."""
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    wt = torch.tensor(weights)
    positions = {n: grid_positions(n) for n in budgets}
    counts = torch.bincount(train.y, minlength=len(train.labels)).float()
    sample_w = (1.0 / counts.clamp(min=1))[train.y]
    steps_per_epoch = max(1, math.ceil(train.count / args.batch))
    total = args.minutes * 60.0
    t0 = time.time()
    steps, epoch = 0, 0
    best, best_epoch, best_state = -1.0, 0, None
    history = []
    log(f"labels recipe: {train.count} train images in {len(train.labels)} classes "
        f"(fewest {int(counts.min())}, most {int(counts.max())}), {val.count} validation images, "
        f"{steps_per_epoch} steps an epoch of batch {args.batch}, budgets {budgets} weights {weights}, "
        f"lr {args.lr}, {args.minutes} min")
    done = False
    while not done:
        epoch += 1
        model.train()
        loss_sum, acc_sum = 0.0, 0.0
        for _ in range(steps_per_epoch):
            elapsed = time.time() - t0
            if elapsed >= total or (args.max_steps and steps >= args.max_steps):
                done = True
                break
            frac = elapsed / total if not args.max_steps else max(elapsed / total, steps / args.max_steps)
            for group in opt.param_groups:
                group["lr"] = lr_at(frac, args.lr)
            n = budgets[torch.multinomial(wt, 1, generator=gen).item()]
            idx = torch.multinomial(sample_w, args.batch, replacement=True, generator=gen)
            tok, y, _ = train.batch(idx, n)
            tok = augment_labels(tok, train.patch, train.channels, gen)
            logits = model(tok, positions[n])[0]
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            steps += 1
            loss_sum += loss.item()
            acc_sum += (logits.argmax(1) == y).float().mean().item()
        k = steps - (epoch - 1) * steps_per_epoch if done else steps_per_epoch
        if k <= 0:
            break
        acc = {n: round(_accuracy(model, val, n, args.eval_samples), 4) for n in budgets}
        mean = sum(acc.values()) / len(acc)
        history.append({"epoch": epoch, "seconds": round(time.time() - t0, 1), "valAccuracy": acc})
        if mean > best:
            best, best_epoch, best_state = mean, epoch, copy.deepcopy(model.state_dict())
        log(f"epoch {epoch} t={time.time() - t0:.0f}s lr={lr_at(min(1.0, (time.time() - t0) / total), args.lr):.2e} "
            f"loss {loss_sum / k:.3f} train-acc {acc_sum / k:.3f} val-acc {json.dumps({str(n): a for n, a in acc.items()})} "
            f"mean {mean:.3f} best {best:.3f} (epoch {best_epoch})")
        if epoch - best_epoch >= patience and time.time() - t0 >= total / 2:
            log(f"early stop: no better validation mean for {patience} epochs")
            break
    seconds = time.time() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    log(f"trained {steps} steps ({epoch} epochs) in {seconds:.0f} s; kept epoch {best_epoch} "
        f"(validation mean {best:.3f})")
    return seconds, steps, {"recipe": "labels", "epochs": epoch, "bestEpoch": best_epoch,
                            "validationMean": round(best, 4)}
