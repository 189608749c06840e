"""Expected outputs of a shipped model on the committed golden images, from PyTorch.

  npx tsx cli/tokenize.ts --data test/fixtures/vision/golden --out tmp/golden-tok \
      --budgets 16,36,64,100,144,196,256 --patch 8
  /usr/bin/python3 training/golden.py --model-dir models/cloud-vit-m \
      --checkpoint tmp/train/cloud-vit-m/checkpoint.pt --tokens tmp/golden-tok

Writes <model-dir>/golden.json: for every image × budget of the manifest (× a few questions for a
model with a question input) the raw logits, patch logits and answer logit of the PyTorch model
the ONNX file was exported from. test/integration/models/shipped-models.test.ts decodes the same
images through the serving path (lib/vision + the inference pool + onnxruntime-node) and compares,
so a change in preprocessing, export or post-processing that moves what the models see or say
fails a test. The tokens come from the TypeScript tokenizer (its own golden test pins them), so
this file checks the model half; PyTorch and onnxruntime agree to ~5e-6, the test allows 1e-4.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import TensorSet, encode_question  # noqa: E402
from model import TokenViT, grid_positions  # noqa: E402

QUESTIONS = ["any defect?", "is there a scratch?", "is there a pit?"]
TOLERANCE = 1e-4


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--tokens", required=True, help="tensor folder of the golden images (npm run tokenize)")
    p.add_argument("--images", default="test/fixtures/vision/golden", help="recorded as the images' folder")
    p.add_argument("--out", help="default <model-dir>/golden.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    with open(os.path.join(args.model_dir, "manifest.json")) as f:
        manifest = json.load(f)
    ckpt = torch.load(args.checkpoint)
    cfg = dict(ckpt["config"])
    # Test-time views are set at export (train.py --views), after the checkpoint was written.
    views = manifest.get("training", {}).get("architecture", {}).get("views")
    if views:
        cfg["views"] = views
    model = TokenViT(**cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    budgets = [int(b) for b in manifest["budgets"]]
    split = TensorSet(args.tokens, budgets)
    if split.patch != manifest["patchSize"] or split.channels != manifest["channels"]:
        raise SystemExit(f"{args.tokens}: patch/channels differ from {args.model_dir}/manifest.json")
    vocab = manifest.get("question", {}).get("vocab")
    max_len = manifest.get("question", {}).get("maxLength", 8)
    questions = [None] + (QUESTIONS if model.fused else [])

    cases = []
    with torch.no_grad():
        for n in budgets:
            pos = grid_positions(n)
            tok, _, _ = split.batch(torch.arange(split.count), n)
            for text in questions:
                if model.fused:
                    ids = encode_question(text, vocab, max_len) if text else [0] * max_len
                    q = torch.tensor([ids] * split.count, dtype=torch.long)
                    logits, patch_logits, answer = model(tok, pos, q)
                else:
                    logits, patch_logits = model(tok, pos)
                    answer = None
                for i, image in enumerate(split.meta["ids"]):
                    case = {
                        "image": image,
                        "budget": n,
                        "question": text,
                        "logits": [round(v, 7) for v in logits[i].tolist()],
                        "patchLogits": [round(v, 7) for v in patch_logits[i].tolist()],
                    }
                    if answer is not None:
                        case["answerLogit"] = round(answer[i, 0].item(), 7)
                    cases.append(case)
    out = args.out or os.path.join(args.model_dir, "golden.json")
    with open(out, "w") as f:
        json.dump(
            {
                "about": "PyTorch outputs of this model on the golden images; see training/golden.py",
                "model": manifest["name"],
                "sha256": manifest["sha256"],
                "images": args.images,
                "tolerance": TOLERANCE,
                "cases": cases,
            },
            f,
            separators=(",", ":"),
        )
        f.write("\n")
    print(f"wrote {out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
