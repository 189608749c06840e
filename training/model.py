"""Budget-agnostic ViT over patch tokens (tokenline model-manifest v1 I/O).

Inputs (see lib/contracts/model-manifest.v1.ts):
  tokens    float32 [B, N, P*P*C]  normalised patches, token t = row*g + col,
                                   pixel (y, x, c) of a patch at (y*P + x)*C + c
  positions float32 [N, 2]         patch centre ((r+0.5)/g, (c+0.5)/g)
  question  int64   [B, Q]         cloud only: word ids, 0 = padding
Outputs:
  logits        float32 [B, K]     class logits (temperature applied outside)
  patch_logits  float32 [B, N]     per-patch defect logit
  answer_logit  float32 [B, 1]     cloud only: yes/no logit for the question

One set of weights serves every grid size: the stem sees one patch at a time, position comes
from Fourier features of the given centres, pooling is over whatever N arrives. Attention is
written out (q·kᵀ, softmax, ·v) so the ONNX graph uses only MatMul/Softmax and keeps the token
axis dynamic.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F


class PatchStem(nn.Module):
    """Per-patch MLP stem: P×P×C pixels -> width features, plus a linear skip.

    Applied to every patch independently (a per-patch conv stem measured 10× slower on these
    CPUs for no gain at 8×8 patches), so a defect smaller than a patch still changes its token.
    """

    def __init__(self, patch: int, channels: int, width: int):
        super().__init__()
        d = patch * patch * channels
        self.mlp = nn.Sequential(nn.Linear(d, 2 * width), nn.GELU(), nn.Linear(2 * width, width))
        self.skip = nn.Linear(d, width)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.mlp(tokens) + self.skip(tokens)


class HierStem(nn.Module):
    """Patchify-conv stem inside one patch: non-overlapping 4×4 blocks → linear (shared by every
    block, i.e. a 4×4 stride-4 convolution) → GELU; 2×2 groups of those → linear (a 2×2 stride-2
    convolution) → GELU; the 2×2-group features of the whole patch → linear to width; plus a
    linear skip from the raw patch. Written as reshapes and MatMuls (no Conv node), so it costs
    about what the MLP stem costs and still sees one patch at a time. The shared block weights
    let a 4-px pit teach the same filter wherever in the patch it falls.
    """

    def __init__(self, patch: int, channels: int, width: int, c1: int = 32, c2: int = 64):
        super().__init__()
        if patch % 8 != 0:
            raise ValueError(f"the hierarchical stem needs a patch side divisible by 8, received {patch}")
        self.patch, self.channels = patch, channels
        self.l1 = nn.Linear(16 * channels, c1)
        self.l2 = nn.Linear(4 * c1, c2)
        self.out = nn.Linear((patch // 8) ** 2 * c2, width)
        self.skip = nn.Linear(patch * patch * channels, width)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        b, n = tokens.shape[0], tokens.shape[1]
        p, c = self.patch, self.channels
        q = p // 8  # 8-px groups per side
        # pixel (y, x) with y = (gy*2 + by)*4 + iy: gy 8-px group, by 4-px block in it, iy row in block
        x = tokens.reshape(b, n, q, 2, 4, q, 2, 4, c)
        x = x.permute(0, 1, 2, 5, 3, 6, 4, 7, 8)  # [b, n, gy, gx, by, bx, iy, ix, c]
        x = x.reshape(b, n, q * q, 4, 16 * c)
        x = F.gelu(self.l1(x))  # [b, n, q², 4, c1]
        x = F.gelu(self.l2(x.reshape(b, n, q * q, -1)))  # [b, n, q², c2]
        return self.out(x.reshape(b, n, -1)) + self.skip(tokens)


class NativeResample(nn.Module):
    """Resamples a token grid of any size to the fixed native grid of `grid` × `grid` patches, by
    area (each native pixel = the overlap-weighted mean of the input pixels it covers), inside the
    graph. A grid larger than the source images' own resolution only interpolates the same pixels
    (lib/scaling/native-resolution.ts); resampling it back lets the transformer run on the native
    tokens, so such a budget costs the native compute and gives the native answer. At the native
    grid the map is the identity.

    The input grid side g comes from the positions (the first centre is 0.5/g), so the graph keeps
    the token axis dynamic. Returns the native tokens and the [N, G²] token-to-native-patch weights
    (rows sum to 1) that map per-patch outputs back to the input's N tokens.
    """

    def __init__(self, grid: int, patch: int, channels: int):
        super().__init__()
        self.grid, self.patch, self.channels = grid, patch, channels
        side = grid * patch
        edges = torch.arange(side + 1, dtype=torch.float32) / side
        self.register_buffer("lo", edges[:-1], persistent=False)
        self.register_buffer("hi", edges[1:], persistent=False)
        offs = torch.arange(patch, dtype=torch.float32)
        self.register_buffer("offs", offs, persistent=False)

    def _overlap(self, start, step):
        """Overlap [N, P, side] of each token's input pixel rows (start + k·step, k < P, width
        step) with the native pixel rows [lo, hi), in image units."""
        a0 = start.unsqueeze(1) + self.offs.unsqueeze(0) * step  # [N, P]
        a1 = a0 + step
        return (torch.minimum(a1.unsqueeze(2), self.hi) - torch.maximum(a0.unsqueeze(2), self.lo)).clamp(min=0.0)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor):
        b, n = tokens.shape[0], tokens.shape[1]
        p, c, g, side = self.patch, self.channels, self.grid, self.grid * self.patch
        if not torch.jit.is_tracing():
            return self._eager(tokens)
        inv_g = 2.0 * positions[0:1, 0]  # [1] = 1/g
        step = inv_g / p  # one input pixel, in image units
        rows = self._overlap(positions[:, 0] - 0.5 * inv_g, step)  # [N, P(y), side(i)]
        cols = self._overlap(positions[:, 1] - 0.5 * inv_g, step)  # [N, P(x), side(j)]
        # Separable area resampling: the input tiles the image, so every native pixel's total
        # overlap is (1/side)², and native = side² · Σ_t Σ_y Σ_x rows[t,y,i] cols[t,x,j] pixel[t,y,x].
        x = tokens.reshape(b, n, p, p, c).permute(0, 1, 2, 4, 3)  # [B, N, y, C, x]
        x = torch.matmul(x, cols.unsqueeze(0).unsqueeze(2))  # [B, N, y, C, j]
        x = x.permute(0, 3, 4, 1, 2).reshape(b, c, side, n * p)  # [B, C, j, (t, y)]
        x = torch.matmul(x, rows.reshape(n * p, side)) * float(side * side)  # [B, C, j, i]
        native = x.reshape(b, c, g, p, g, p).permute(0, 4, 2, 5, 3, 1).reshape(b, g * g, p * p * c)
        # token t's share of native patch (I, J): its overlap with the patch over its own area (1/g_in²)
        r_share = rows.sum(dim=1).reshape(n, g, p).sum(dim=2)  # [N, G]
        c_share = cols.sum(dim=1).reshape(n, g, p).sum(dim=2)
        tok_w = (r_share.unsqueeze(2) * c_share.unsqueeze(1)).reshape(n, g * g) / (inv_g * inv_g)
        return native, tok_w

    def _eager(self, tokens: torch.Tensor):
        """The same resampling when the grid side is a Python number (training, evaluation in
        PyTorch): the image is reassembled and resampled by two dense matmuls, ~8× faster at 256
        tokens than the per-token form the ONNX graph needs to keep N dynamic."""
        b, n = tokens.shape[0], tokens.shape[1]
        p, c, g, side = self.patch, self.channels, self.grid, self.grid * self.patch
        gi = int(round(math.sqrt(n)))
        s = gi * p
        edges = torch.arange(s + 1, dtype=torch.float32) / s
        a = (torch.minimum(edges[1:].unsqueeze(0), self.hi.unsqueeze(1))
             - torch.maximum(edges[:-1].unsqueeze(0), self.lo.unsqueeze(1))).clamp(min=0.0) * side  # [side, S]
        img = tokens.reshape(b, gi, gi, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, s, s)
        out = torch.matmul(torch.matmul(a, img), a.transpose(0, 1))  # [B, C, side, side]
        native = out.reshape(b, c, g, p, g, p).permute(0, 2, 4, 3, 5, 1).reshape(b, g * g, p * p * c)
        share = a.reshape(g, p, gi, p).sum(dim=(1, 3)) * (gi / side)  # [G, gi]: input cell's share in native cell
        tok_w = (share.transpose(0, 1).unsqueeze(1).unsqueeze(3) * share.transpose(0, 1).unsqueeze(0).unsqueeze(2))
        return native, tok_w.reshape(n, g * g)


class FourierPosition(nn.Module):
    """(row, col) centres in (0,1) -> sin/cos at octave frequencies -> linear to width."""

    def __init__(self, width: int, octaves: int = 6):
        super().__init__()
        freqs = (2.0 ** torch.arange(octaves, dtype=torch.float32)) * math.pi
        self.register_buffer("freqs", freqs, persistent=False)
        self.proj = nn.Linear(4 * octaves + 2, width)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        ang = positions.unsqueeze(-1) * self.freqs  # [N, 2, F]
        ang = ang.reshape(positions.shape[0], -1)
        feats = torch.cat([positions, torch.sin(ang), torch.cos(ang)], dim=-1)
        return self.proj(feats)  # [N, D]


class Attention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = width // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor = None) -> torch.Tensor:
        b, t = x.shape[0], x.shape[1]
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q * self.scale, k.transpose(-2, -1))  # [B, H, T, T]
        if key_bias is not None:
            scores = scores + key_bias
        attn = torch.softmax(scores, dim=-1)
        y = torch.matmul(attn, v).transpose(1, 2).reshape(b, t, -1)
        return self.out(y)


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, width * mlp_ratio), nn.GELU(), nn.Linear(width * mlp_ratio, width)
        )

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor = None) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), key_bias)
        return x + self.mlp(self.norm2(x))


class TokenViT(nn.Module):
    """ViT over patch tokens; with `vocab_size` > 0 the question is fused three ways.

    1. Words as tokens: question words are embedded with a learned word position and appended,
       with one learned query token, to the image tokens, so every layer attends across text and
       patches. Padding words (id 0) are masked out of attention.
    2. FiLM: the question vector (masked mean of its word embeddings through an MLP) scales and
       shifts every token before every block, so the question steers what the vision tokens
       compute from the first layer on, not only what the last layer reads.
    3. Question-conditioned patch scores: s_t = <img_t, u(q)>/sqrt(d) + b(q), "the named defect is
       in patch t"; trained against the patch targets of the named class only (training/train.py).
    The answer starts from what the class head says under the question: P(yes) = Σ_k m_k(q)·p_k,
    with m(q) = sigmoid(linear(q)) learning which classes answer yes to the question and p the
    class probabilities of the question-conditioned pass; its logit plus r·(max_t s_t + a head on
    [query token | max-pooled image tokens]), r a learned scale that starts at 0. So the answer
    can add question-specific evidence (the named defect's patches) to the class posterior
    instead of having to re-learn it from the fraction of steps that ask that question.
    An all-padding question gives a zero question vector, hence no FiLM (scale 1, shift 0) and a
    vision path identical to the vision-only one but for the query token.
    """

    def __init__(
        self,
        patch: int,
        channels: int,
        classes: int,
        width: int = 64,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: int = 2,
        vocab_size: int = 0,
        max_question: int = 8,
        stem: str = "mlp",
        views: int = 1,
        native_grid: int = 0,
    ):
        super().__init__()
        self.config = dict(
            patch=patch, channels=channels, classes=classes, width=width, depth=depth,
            heads=heads, mlp_ratio=mlp_ratio, vocab_size=vocab_size, max_question=max_question,
        )
        if stem != "mlp":
            self.config["stem"] = stem
        self.native = None
        if native_grid > 0:
            self.config["native_grid"] = native_grid
            self.native = NativeResample(native_grid, patch, channels)
            self.register_buffer("native_positions", grid_positions(native_grid * native_grid), persistent=False)
        self.set_views(views)
        self.stem = HierStem(patch, channels, width) if stem == "hier" else PatchStem(patch, channels, width)
        self.pos = FourierPosition(width)
        self.fused = vocab_size > 0
        if self.fused:
            self.word = nn.Embedding(vocab_size, width)
            self.word_pos = nn.Parameter(torch.zeros(max_question, width))
            self.query = nn.Parameter(torch.zeros(1, 1, width))
            nn.init.normal_(self.word_pos, std=0.02)
            nn.init.normal_(self.query, std=0.02)
        self.blocks = nn.ModuleList([Block(width, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.class_head = nn.Linear(2 * width, classes)
        self.patch_head = nn.Linear(width, 1)
        if self.fused:
            self.answer_head = nn.Linear(2 * width, 1)
            self.q_mlp = nn.Sequential(nn.Linear(width, width), nn.GELU())
            # No bias: a zero question vector must give exactly no modulation. Zero init: training
            # starts from the plain token-fusion model and learns how much to steer.
            self.film = nn.ModuleList([nn.Linear(width, 2 * width, bias=False) for _ in range(depth)])
            for f in self.film:
                nn.init.zeros_(f.weight)
            self.q_patch = nn.Linear(width, width)
            self.q_patch_bias = nn.Linear(width, 1)
            self.q_class = nn.Linear(width, classes)
            nn.init.zeros_(self.q_class.weight)
            nn.init.zeros_(self.q_class.bias)
            self.answer_scale = nn.Parameter(torch.zeros(1))

    def set_views(self, views: int):
        """Test-time views: 1 (off), 2 (+ left-right flip), 4 (+ up-down flips) or 8 (+ transposes).
        A view of the whole image is a fixed permutation of the pixels inside every patch plus a
        mirrored / swapped patch centre, so it needs no knowledge of the grid size and the token
        order (hence patch_logits) stays the input's. In eval mode every output is the mean over
        the views; training (which draws the same dihedral views as augmentation) never uses them."""
        if views not in (1, 2, 4, 8):
            raise ValueError(f"views must be 1, 2, 4 or 8, received {views}")
        self.views = views
        if views > 1:
            self.config["views"] = views
        else:
            self.config.pop("views", None)
        p, c = self.config["patch"], self.config["channels"]
        base = torch.arange(p * p * c).reshape(p, p, c)
        index = []
        self.view_ops = []
        for v in range(views):
            s = base
            ops = (bool(v & 1), bool(v & 2), bool(v & 4))  # left-right, up-down, transpose (in order)
            if ops[0]:
                s = s.flip(1)
            if ops[1]:
                s = s.flip(0)
            if ops[2]:
                s = s.permute(1, 0, 2)
            index.append(s.reshape(-1))
            self.view_ops.append(ops)
        self.register_buffer("view_index", torch.stack(index), persistent=False)

    def _view_positions(self, positions: torch.Tensor, ops) -> torch.Tensor:
        r, c = positions[:, 0:1], positions[:, 1:2]
        if ops[0]:
            c = 1.0 - c
        if ops[1]:
            r = 1.0 - r
        if ops[2]:
            r, c = c, r
        return torch.cat([r, c], dim=1)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor, question: torch.Tensor = None,
                with_question_patches: bool = False):
        if self.native is None:
            return self._forward_views(tokens, positions, question, with_question_patches)
        native, tok_w = self.native(tokens, positions)
        outs = self._forward_views(native, self.native_positions, question, with_question_patches)
        # per-patch outputs [B, G²] back to the input's N tokens
        return tuple(torch.matmul(o, tok_w.transpose(0, 1)) if i in (1, 3) else o for i, o in enumerate(outs))

    def _forward_views(self, tokens, positions, question, with_question_patches):
        if self.views == 1 or self.training:
            return self._forward(tokens, self.pos(positions).unsqueeze(0), question, with_question_patches)
        b, v = tokens.shape[0], self.views
        toks = torch.cat([tokens.index_select(2, self.view_index[i]) for i in range(v)], dim=0)
        pe = torch.stack([self.pos(self._view_positions(positions, ops)) for ops in self.view_ops])  # [V,N,D]
        pe = pe.unsqueeze(1).expand(v, b, pe.shape[1], pe.shape[2]).reshape(v * b, pe.shape[1], pe.shape[2])
        q = torch.cat([question] * v, dim=0) if question is not None else None
        outs = self._forward(toks, pe, q, with_question_patches)
        return tuple(o.reshape(v, b, *o.shape[1:]).mean(dim=0) for o in outs)

    def _forward(self, tokens: torch.Tensor, pos_emb: torch.Tensor, question: torch.Tensor = None,
                 with_question_patches: bool = False):
        n = tokens.shape[1]
        x = self.stem(tokens) + pos_emb
        key_bias = None
        qh = None
        if self.fused:
            b = tokens.shape[0]
            q_len = question.shape[1]
            words = self.word(question) + self.word_pos[:q_len].unsqueeze(0)
            query = self.query.expand(b, 1, self.query.shape[2])
            x = torch.cat([x, query, words], dim=1)
            present = (question != 0).to(tokens.dtype)  # [B, Q]
            pad = (1.0 - present) * -1e4
            keep = torch.zeros_like(x[:, : n + 1, 0])
            key_bias = torch.cat([keep, pad], dim=1).unsqueeze(1).unsqueeze(1)  # [B,1,1,T]
            count = present.sum(dim=1, keepdim=True)  # [B, 1]
            q_mean = (words * present.unsqueeze(-1)).sum(dim=1) / count.clamp(min=1.0)
            has_q = (count > 0).to(tokens.dtype)
            qh = self.q_mlp(q_mean) * has_q  # [B, D], exactly 0 without a question
        for i, block in enumerate(self.blocks):
            if qh is not None:
                gamma, beta = self.film[i](qh).unsqueeze(1).chunk(2, dim=-1)
                x = x * (1.0 + gamma) + beta
            x = block(x, key_bias)
        x = self.norm(x)
        img = x[:, :n]
        img_max = img.max(dim=1).values
        pooled = torch.cat([img.mean(dim=1), img_max], dim=-1)
        logits = self.class_head(pooled)
        patch_logits = self.patch_head(img).squeeze(-1)
        if not self.fused:
            return logits, patch_logits
        u = self.q_patch(qh).unsqueeze(1)  # [B, 1, D]
        q_scores = (img * u).sum(dim=-1) * (img.shape[-1] ** -0.5) + self.q_patch_bias(qh)  # [B, N]
        evidence = self.answer_head(torch.cat([x[:, n], img_max], dim=-1)) + q_scores.max(dim=1, keepdim=True).values
        yes_classes = torch.sigmoid(self.q_class(qh))  # [B, K]
        p_yes = (torch.softmax(logits, dim=-1) * yes_classes).sum(dim=-1, keepdim=True).clamp(1e-6, 1 - 1e-6)
        answer = torch.log(p_yes) - torch.log(1.0 - p_yes) + self.answer_scale * evidence
        if with_question_patches:
            return logits, patch_logits, answer, q_scores
        return logits, patch_logits, answer


def grid_positions(n: int) -> torch.Tensor:
    """Patch centres for an N = g² grid, row-major: ((r+0.5)/g, (c+0.5)/g)."""
    g = int(round(math.sqrt(n)))
    if g * g != n:
        raise ValueError(f"budget must be a perfect square, received {n}")
    idx = torch.arange(g, dtype=torch.float32)
    r, c = torch.meshgrid(idx, idx, indexing="ij")
    return torch.stack([(r.reshape(-1) + 0.5) / g, (c.reshape(-1) + 0.5) / g], dim=1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
