"""Train one tokenline model (edge or cloud) on token tensors, calibrate, export, write manifest.

  /usr/bin/python3 training/train.py --train data/tok/train --val data/tok/val [--test data/tok/test]
      --role edge|cloud --name edge-vit-s --out models/edge-vit-s --work tmp/train/edge-vit-s
      [--minutes 40] [--width 64 --depth 4 --heads 4] [--budgets 16,64,256 --budget-weights .45,.35,.2]

FlexiViT-style: every step draws one budget (weighted toward cheap ones) and a batch at that budget,
so one set of weights serves every budget. Loss = class cross-entropy + per-patch BCE against the
patch coverage tensors (dense supervision; image labels alone stay near chance on this data) +
yes/no BCE for the fused question + per-patch BCE of the question-conditioned patch scores against
the named class's patches (cloud). The learning rate follows a cosine over the wall-clock
budget, so a run always finishes its schedule in the time given; a checkpoint is written at every
evaluation and `--export-only` exports the last one.
"""

import argparse
import json
import math
import os
import sys
import time


def _pin_blas_threads(argv):
    """OpenBLAS starts one thread per core of its own, on top of torch's intra-op threads: on 2
    cores with a second training run beside it, that oversubscription made a 256-token step 5×
    slower (2.0 s vs 11 s measured, width 80 × depth 4, batch 32). Pin it to --threads before
    torch loads it."""
    threads = "2"
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif a.startswith("--threads="):
            threads = a.split("=", 1)[1]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, threads)


_pin_blas_threads(sys.argv[1:])

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import (  # noqa: E402
    DEFAULT_MAX_QUESTION,
    DEFAULT_VOCAB,
    TensorSet,
    answer_for,
    augment,
    encode_question,
    question_set,
    vocab_for,
)
from evaluate import class_metrics, fit_temperature, fusion_metrics, predict  # noqa: E402
from export import export_onnx, write_golden, write_manifest  # noqa: E402
from labels_recipe import native_budget, train_loop_labels  # noqa: E402
from model import TokenViT, count_parameters, grid_positions  # noqa: E402

COVERAGE_FOR_FULL_POSITIVE = 0.05


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--val", required=True)
    p.add_argument("--test")
    p.add_argument("--role", choices=["edge", "cloud"], required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True, help="model folder: model.onnx + manifest.json")
    p.add_argument("--work", required=True, help="checkpoints, logs, golden outputs")
    p.add_argument("--minutes", type=float, default=40.0, help="wall-clock training budget")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = time only)")
    p.add_argument("--budgets", default="16,64,256")
    p.add_argument("--budget-weights", default="")
    p.add_argument("--class-weights", default="",
                   help="loss weight per label in manifest order, e.g. 1,1,1,2,1 (default: all 1); "
                        "raises a class's recall where the model hedges against it")
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp-ratio", type=int, default=2)
    p.add_argument("--recipe", choices=["auto", "masks", "labels"], default="auto",
                   help="masks: dense per-patch supervision (generated data); labels: image labels "
                        "only (labels_recipe.py); auto: labels when the training split has no masks")
    p.add_argument("--stem", choices=["mlp", "hier"], default=None,
                   help="patch stem: mlp (per-patch MLP) or hier (4×4 then 2×2 non-overlapping blocks "
                        "with shared weights inside each patch, model.HierStem); default mlp for the "
                        "masks recipe, hier for the labels recipe")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate; default 2e-3 (masks), 1e-3 (labels)")
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--patch-loss", type=float, default=1.0)
    p.add_argument("--answer-loss", type=float, default=1.0)
    p.add_argument("--question-patch-loss", type=float, default=1.0,
                   help="weight of the per-patch loss of the question-conditioned patch scores (cloud)")
    p.add_argument("--question-mix", default="0.25,0.2", help="shares of no question and of \"any defect?\"")
    p.add_argument("--eval-every", type=float, default=6.0, help="minutes between validation runs")
    p.add_argument("--eval-samples", type=int, default=600, help="validation images per budget during training")
    p.add_argument("--native-cap", choices=["auto", "off"], default="auto",
                   help="labels recipe with a known source size: budgets above the native one are "
                        "resampled to the native grid inside the model (model.NativeResample), so "
                        "they cost the native compute; off: every budget runs on its own grid")
    p.add_argument("--patience", type=int, default=20,
                   help="labels recipe: epochs without a better validation mean before stopping (from half the time on)")
    p.add_argument("--fusion-samples", type=int, default=1000, help="test images for the fusion comparison")
    p.add_argument("--calib-samples", type=int, default=0,
                   help="validation images for the temperature fit and validation metrics (0 = all)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export-only", action="store_true", help="skip training, export the last checkpoint")
    p.add_argument("--views", type=int, default=1, choices=[1, 2, 4, 8],
                   help="test-time views built into the exported model (flips/transposes, outputs "
                        "averaged; model.TokenViT.set_views); temperatures are fitted with them")
    p.add_argument("--init", help="start from the weights of this checkpoint (fine-tuning)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --work from its checkpoint.pt: weights, optimizer, data "
                        "order and the position in the wall-clock schedule (same --minutes and options)")
    p.add_argument("--train-only", default="",
                   help="comma-separated parameter name prefixes to train, the rest frozen (e.g. the "
                        "cloud's answer path: q_class,answer_scale,answer_head,q_patch); default all")
    p.add_argument("--command", default="", help="command line recorded in the manifest")
    return p.parse_args(argv)


def log(work: str, msg: str):
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    with open(os.path.join(work, "train.log"), "a") as f:
        f.write(line + "\n")


def sample_questions(labels, y, vocab, max_len, gen, mix=(0.15, 0.35), also_y=None):
    """One question per image, drawn independently of its label (a label-dependent draw lets the
    class head read the answer off the question): `mix[0]` none, `mix[1]` "any defect?", the rest
    "is there a <class>?" with the class uniform over the defect classes. `also_y` is each image's
    second defect (-1: none), which answers yes too. Returns (ids, answers, has question, named
    class index per image: -1 for "any defect?" or no question)."""
    qs = question_set(labels)
    named_qs = [(t, c) for t, c in qs if c is not None]
    any_q = [(t, c) for t, c in qs if c is None]
    ids, answers, has, named_ix = [], [], [], []
    also_list = also_y.tolist() if also_y is not None else [-1] * len(y)
    for cls, also in zip(y.tolist(), also_list):
        lab = labels[cls]
        r = torch.rand(1, generator=gen).item()
        if r < mix[0] or not named_qs:
            ids.append([0] * max_len)
            answers.append(0.0)
            has.append(0.0)
            named_ix.append(-1)
            continue
        if r < mix[0] + mix[1] and any_q:
            text, named = any_q[0]
        else:
            text, named = named_qs[torch.randint(len(named_qs), (1,), generator=gen).item()]
        ids.append(encode_question(text, vocab, max_len))
        answers.append(answer_for(lab, named, labels[also] if also >= 0 else None))
        has.append(1.0)
        named_ix.append(labels.index(named) if named is not None else -1)
    return (torch.tensor(ids, dtype=torch.long), torch.tensor(answers), torch.tensor(has),
            torch.tensor(named_ix, dtype=torch.long))


def lr_at(frac: float, base: float, warmup: float = 0.03) -> float:
    if frac < warmup:
        return base * frac / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, (frac - warmup) / (1 - warmup))))


def quick_eval(model, val, budgets, limit):
    sub = _Subset(val, limit)
    out = {}
    for n in budgets:
        logits, _, _ = predict(model, sub, n)
        out[n] = class_metrics(logits, sub.y, sub.labels)["accuracy"]
    return out


class _Subset:
    """First `limit` images of a TensorSet, same interface as TensorSet for predict()."""

    def __init__(self, base, limit):
        self.base = base
        self.count = min(limit, base.count)
        self.y = base.y[: self.count]
        self.also_y = base.also_y[: self.count]
        self.labels = base.labels

    def batch(self, idx, n):
        return self.base.batch(idx, n)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.work, exist_ok=True)
    budgets = [int(b) for b in args.budgets.split(",")]
    weights = [float(w) for w in args.budget_weights.split(",")] if args.budget_weights else [1.0] * len(budgets)
    if len(weights) != len(budgets):
        raise SystemExit(f"--budget-weights: expected {len(budgets)} weights, received {len(weights)}")

    train = TensorSet(args.train, budgets)
    val = TensorSet(args.val, budgets)
    labels = train.labels
    if val.labels != labels:
        raise SystemExit(f"val labels {val.labels} differ from train labels {labels}")
    qmeta = train.meta.get("questions", {})
    vocab = vocab_for(labels, qmeta.get("vocab", DEFAULT_VOCAB))
    max_len = int(qmeta.get("maxLength", DEFAULT_MAX_QUESTION))
    fused = args.role == "cloud"
    # The cloud's question fusion is trained by the masks recipe's loop (with or without masks), so
    # auto keeps it there; the labels recipe trains vision-only models.
    recipe = args.recipe if args.recipe != "auto" else ("masks" if train.has_masks or fused else "labels")
    if recipe == "labels" and fused:
        raise SystemExit("--recipe labels trains vision-only (edge) models; the cloud's question fusion "
                         "is trained by --recipe masks")
    recipe_defaults = {"masks": {"stem": "mlp", "lr": 2e-3}, "labels": {"stem": "hier", "lr": 1e-3}}[recipe]
    # model.HierStem needs a patch side divisible by 8
    args.stem = args.stem or (recipe_defaults["stem"] if train.patch % 8 == 0 else "mlp")
    args.lr = args.lr if args.lr is not None else recipe_defaults["lr"]
    native = train.meta.get("nativeSize")
    native_side = max(native["width"], native["height"]) if native else None
    cap = native_budget(budgets, train.patch, native_side)
    native_grid = 0
    if recipe == "labels" and args.native_cap == "auto" and cap is not None and cap < max(budgets):
        native_grid = round(math.sqrt(cap))
    log(args.work, f"recipe {recipe} ({'the split has masks' if train.has_masks else 'no masks'}), stem "
        f"{args.stem}, lr {args.lr}" + (f", source images {native['width']}×{native['height']} px, native "
        f"budget {cap}" if native else "")
        + (f"; budgets above {cap} are resampled to the native {native_grid}×{native_grid} grid in the model"
           if native_grid else ""))

    model = TokenViT(
        train.patch, train.channels, len(labels), width=args.width, depth=args.depth, heads=args.heads,
        mlp_ratio=args.mlp_ratio, vocab_size=len(vocab) if fused else 0, max_question=max_len,
        stem=args.stem, native_grid=native_grid,
    )
    ckpt_path = os.path.join(args.work, "checkpoint.pt")
    seconds = 0.0
    steps = 0
    recipe_summary = {"recipe": recipe}
    if args.export_only:
        ckpt = torch.load(ckpt_path)
        model.load_state_dict(ckpt["model"])
        seconds, steps = ckpt["seconds"], ckpt["steps"]
        log(args.work, f"loaded {ckpt_path} (step {steps}, {seconds:.0f} s)")
    else:
        if args.init:
            init = torch.load(args.init)
            # Not strict: a checkpoint from before a head was added initialises everything else,
            # and the new parameters keep their own (documented) initialisation.
            missing, unexpected = model.load_state_dict(init["model"], strict=False)
            if unexpected:
                raise SystemExit(f"--init {args.init}: parameters this model does not have: {unexpected}")
            log(args.work, f"initialised from {args.init} (step {init['steps']}, {init['seconds']:.0f} s)"
                + (f", new parameters {missing}" if missing else ""))
        resume = None
        if args.resume:
            resume = torch.load(ckpt_path)
            if "optimizer" not in resume:
                raise SystemExit(f"--resume: {ckpt_path} has no optimizer state (written before --resume "
                                 "existed); use --init to start a new schedule from its weights")
            model.load_state_dict(resume["model"])
            log(args.work, f"resuming {ckpt_path} at step {resume['steps']}, {resume['seconds']:.0f} s "
                f"of {args.minutes * 60:.0f} s")
        if recipe == "labels":
            seconds, steps, recipe_summary = train_loop_labels(
                args, model, train, val, budgets, weights, lambda m: log(args.work, m), lr_at, args.patience)
            save_checkpoint(ckpt_path, model, seconds, steps)
        else:
            seconds, steps = train_loop(args, model, train, val, budgets, weights, vocab, max_len, ckpt_path,
                                        resume)

    if args.views > 1:
        model.set_views(args.views)
        log(args.work, f"{args.views} test-time views from here on (calibration, test, export)")
    temps, val_metrics = {}, {}
    calib = _Subset(val, args.calib_samples) if args.calib_samples else val
    for n in budgets:
        logits, _, _ = predict(model, calib, n)
        temps[str(n)] = round(fit_temperature(logits, calib.y), 4)
        val_metrics[str(n)] = class_metrics(logits, calib.y, labels, temps[str(n)])
        log(args.work, f"val N={n}: acc {val_metrics[str(n)]['accuracy']:.3f} T={temps[str(n)]}")

    test_metrics, fusion = {}, {}
    if args.test:
        test = TensorSet(args.test, budgets)
        for n in budgets:
            logits, _, _ = predict(model, test, n)
            test_metrics[str(n)] = class_metrics(logits, test.y, labels, temps[str(n)])
            log(args.work, f"test N={n}: {json.dumps(test_metrics[str(n)])}")
            if fused:
                fusion[str(n)] = fusion_metrics(
                    model, _Subset(test, args.fusion_samples), n, vocab, max_len, temps[str(n)]
                )
                log(args.work, f"test N={n} fusion: {json.dumps(fusion[str(n)])}")

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_onnx(model, onnx_path, train.patch * train.patch * train.channels, max_len)
    write_golden(model, os.path.join(args.work, "golden.json"), val, budgets, vocab, max_len)
    seeds = {}
    for split_name, split in (("train", train), ("val", val)) + ((("test", test),) if args.test else ()):
        s = (split.meta.get("samples") or {}).get("seed") or []
        s = [v for v in s if v is not None]
        if s:
            seeds[split_name] = [int(min(s)), int(max(s))]
    write_manifest(
        os.path.join(args.out, "manifest.json"),
        onnx_path,
        name=args.name,
        role=args.role,
        labels=labels,
        split=train,
        budgets=budgets,
        vocab=vocab if fused else None,
        max_len=max_len,
        temperatures=temps,
        training={
            "command": args.command or " ".join([sys.executable] + sys.argv),
            "dataSeeds": seeds,
            "parameters": count_parameters(model),
            "seconds": round(seconds, 1),
            "steps": steps,
            **({"initialisedFrom": _init_summary(args.init)} if args.init else {}),
            "architecture": model.config,
            "trainImages": train.count,
            "budgetWeights": dict(zip([str(b) for b in budgets], weights)),
            "batch": args.batch,
            "validation": val_metrics,
            **recipe_summary,
            **({"questionFusion": fusion} if fusion else {}),
        },
        metrics=test_metrics,
        native_size=native,
        measured_with=(
            f"/usr/bin/python3 training/train.py (PyTorch, split {args.test})" if args.test else None
        ),
    )
    log(args.work, f"wrote {onnx_path} and manifest.json")


def train_loop(args, model, train, val, budgets, weights, vocab, max_len, ckpt_path, resume=None):
    params = list(model.parameters())
    if args.train_only:
        prefixes = tuple(p.strip() for p in args.train_only.split(",") if p.strip())
        params = []
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith(prefixes))
            if p.requires_grad:
                params.append(p)
        if not params:
            raise SystemExit(f"--train-only {args.train_only}: no parameter name starts with these prefixes")
        log(args.work, f"training only {sum(p.numel() for p in params)} parameters ({args.train_only}), "
            "the rest frozen")
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    gen = torch.Generator().manual_seed(args.seed)
    wt = torch.tensor(weights)
    class_wt = None
    if args.class_weights:
        values = [float(v) for v in args.class_weights.split(",")]
        if len(values) != len(train.labels) or min(values) <= 0:
            raise SystemExit(f"--class-weights {args.class_weights}: need {len(train.labels)} positive numbers "
                             f"(labels {train.labels})")
        class_wt = torch.tensor(values)
        log(args.work, f"class weights {dict(zip(train.labels, values))}")
    positions = {n: grid_positions(n) for n in budgets}
    total = args.minutes * 60.0
    t0 = time.time()
    last_eval = t0
    steps = 0
    seen = {n: 0 for n in budgets}
    if resume is not None:
        opt.load_state_dict(resume["optimizer"])
        gen.set_state(resume["generator"])
        t0 -= resume["seconds"]
        steps = resume["steps"]
        seen = {int(k): v for k, v in resume["seen"].items()}
    running = {"loss": 0.0, "cls": 0.0, "patch": 0.0, "ans": 0.0, "acc": 0.0, "k": 0}
    log(args.work, f"{args.name}: {count_parameters(model)} parameters, {train.count} train images, "
        f"budgets {budgets} weights {weights}, {args.minutes} min")
    while True:
        elapsed = time.time() - t0
        if elapsed >= total or (args.max_steps and steps >= args.max_steps):
            break
        frac = elapsed / total if not args.max_steps else max(elapsed / total, steps / args.max_steps)
        for group in opt.param_groups:
            group["lr"] = lr_at(frac, args.lr)
        model.train()
        n = budgets[torch.multinomial(wt, 1, generator=gen).item()]
        idx = torch.randint(train.count, (args.batch,), generator=gen)
        tok, y, cov = train.batch(idx, n)
        also_y, also_cov = train.also_batch(idx, n)
        if cov is not None:
            tok, both = augment(tok, torch.cat([cov, also_cov]), train.patch, train.channels, gen)
            cov, also_cov = both[: len(idx)], both[len(idx):]
        else:
            tok, _ = augment(tok, None, train.patch, train.channels, gen)
        if model.fused:
            mix = tuple(float(v) for v in args.question_mix.split(","))
            q, ans, has, named = sample_questions(train.labels, y, vocab, max_len, gen, mix, also_y)
            logits, patch_logits, answer, q_scores = model(tok, positions[n], q, with_question_patches=True)
        else:
            logits, patch_logits = model(tok, positions[n])
        cls_loss = F.cross_entropy(logits, y, weight=class_wt, label_smoothing=0.05)
        loss = cls_loss
        patch_loss = torch.zeros(())
        target = (cov / COVERAGE_FOR_FULL_POSITIVE).clamp(max=1.0) if cov is not None else None
        if target is not None and args.patch_loss > 0:
            patch_loss = F.binary_cross_entropy_with_logits(
                patch_logits, target, pos_weight=torch.tensor(4.0)
            )
            loss = loss + args.patch_loss * patch_loss
        ans_loss = torch.zeros(())
        if model.fused and has.sum() > 0:
            per = F.binary_cross_entropy_with_logits(answer.squeeze(-1), ans, reduction="none")
            ans_loss = (per * has).sum() / has.sum()
            loss = loss + args.answer_loss * ans_loss
            if target is not None and args.question_patch_loss > 0:
                # The question-conditioned patch scores see only the named defect: a patch is
                # positive when it covers the defect the question asks about, so "is there a
                # scratch?" learns to ignore a crack's patches, also on an image that has both.
                # cov holds every defect, also_cov the second one alone; "any defect?" takes all.
                first_cov = (cov - also_cov).clamp(min=0.0)
                named_cov = (
                    first_cov * (y == named).float().unsqueeze(1)
                    + also_cov * (also_y == named).float().unsqueeze(1)
                )
                is_any = ((named < 0) & (has > 0)).float().unsqueeze(1)
                q_cov = is_any * cov * ans.unsqueeze(1) + (1.0 - is_any) * named_cov
                q_target = (q_cov / COVERAGE_FOR_FULL_POSITIVE).clamp(max=1.0)
                per_patch = F.binary_cross_entropy_with_logits(
                    q_scores, q_target, pos_weight=torch.tensor(4.0), reduction="none"
                ).mean(dim=1)
                q_patch_loss = (per_patch * has).sum() / has.sum()
                loss = loss + args.question_patch_loss * q_patch_loss
                ans_loss = ans_loss + q_patch_loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps += 1
        seen[n] += args.batch
        running["loss"] += loss.item()
        running["cls"] += cls_loss.item()
        running["patch"] += patch_loss.item()
        running["ans"] += ans_loss.item()
        running["acc"] += (logits.argmax(1) == y).float().mean().item()
        running["k"] += 1
        if steps % 50 == 0:
            k = running["k"]
            log(args.work, f"step {steps} t={elapsed:.0f}s lr={lr_at(frac, args.lr):.2e} "
                f"loss {running['loss']/k:.3f} cls {running['cls']/k:.3f} patch {running['patch']/k:.3f} "
                f"ans {running['ans']/k:.3f} train-acc {running['acc']/k:.3f} seen {seen}")
            running = {key: 0.0 for key in running}
            running["k"] = 0
        if time.time() - last_eval >= args.eval_every * 60:
            save_checkpoint(ckpt_path, model, time.time() - t0, steps, opt, gen, seen)
            acc = quick_eval(model, val, budgets, args.eval_samples)
            log(args.work, f"eval step {steps}: val-acc {json.dumps(acc)}")
            last_eval = time.time()
    seconds = time.time() - t0
    save_checkpoint(ckpt_path, model, seconds, steps, opt, gen, seen)
    log(args.work, f"trained {steps} steps in {seconds:.0f} s, images per budget {seen}")
    return seconds, steps


def _init_summary(path):
    ckpt = torch.load(path)
    return {"checkpoint": path, "steps": ckpt["steps"], "seconds": round(ckpt["seconds"], 1)}


def save_checkpoint(path, model, seconds, steps, opt=None, gen=None, seen=None):
    tmp = path + ".tmp"
    state = {"model": model.state_dict(), "config": model.config, "seconds": seconds, "steps": steps}
    if opt is not None:
        # What --resume needs to continue the same schedule.
        state.update(optimizer=opt.state_dict(), generator=gen.get_state(), seen=seen)
    torch.save(state, tmp)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
