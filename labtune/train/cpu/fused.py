"""Training ops that keep fewer activations: vocabulary projection + cross-entropy, SwiGLU, RMSNorm.

Written here because the library versions (Liger-Kernel's fused linear cross-entropy, SwiGLU and
RMSNorm) are Triton kernels for CUDA only, and torch/transformers have none. They do the same matmuls as the
modules they replace and keep less in memory between forward and backward (`benchmarks/fused_ops.py`
measures time and memory against transformers' modules):

- linear + cross-entropy: the [tokens, vocabulary] logits (49k wide for SmolLM2: 197 KB per token)
  are made one chunk at a time, and each chunk's gradient is taken at once (softmax - one-hot), so
  neither the logits, their log-softmax nor their gradient exist for the whole batch.
- SwiGLU MLP: keeps gate(x) and up(x) and recomputes silu(gate) * up in backward (two elementwise
  ops) instead of also keeping silu(gate) and the product: 2 of the 4 intermediate-width tensors.
- RMSNorm: keeps its input and the per-token scale and recomputes the normalised input in backward,
  instead of keeping the normalised input as well (one hidden-width tensor per norm, two per layer).

Used by single-process full fine-tuning in fp32 on the LLaMA-family models listed below; LoRA, bf16
autocast and DDP/FSDP keep transformers' modules.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Causal LMs whose logits are exactly lm_head(hidden): no soft-capping, scaling or bias.
PLAIN_HEAD_MODELS = ("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM")
# Their norms: weight * x / sqrt(mean(x^2) + eps) in fp32 (Gemma's 1 + weight is not among them).
PLAIN_NORMS = ("LlamaRMSNorm", "MistralRMSNorm", "Qwen2RMSNorm", "Qwen3RMSNorm")
# 128 rows x 49k vocabulary x 4 bytes = 25 MB: under glibc's largest mmap threshold, so the chunk's
# buffer is reused from the heap rather than page-faulted in each time (host_memory.py).
CHUNK_BYTES = 28 * 1024 * 1024


def chunk_rows(vocab: int, itemsize: int) -> int:
    return max(16, CHUNK_BYTES // (vocab * itemsize))


class KeptGradient:
    """The output layer's weight gradient, kept from step to step instead of made afresh.

    A vocabulary-sized tensor (113 MB for SmolLM2) is above glibc's mmap threshold: made afresh each
    step, it is page-faulted in and zero-filled (140 ms a step on the bench's 2-core CPU, 5% of it).
    Once the optimizer has dropped `.grad` (`zero_grad(set_to_none=True)`), the next step writes the
    same memory again. A new tensor object over the kept storage is handed out each time, so autograd
    can still adopt it as `.grad` without a copy. While `.grad` is set (accumulation), a fresh tensor
    is used and autograd adds it in.
    """

    def __init__(self):
        self.storage: torch.Tensor | None = None

    def take(self, weight: torch.Tensor) -> torch.Tensor:
        if weight.grad is not None:
            return torch.empty_like(weight)
        kept = self.storage
        if kept is None or kept.shape != weight.shape or kept.dtype != weight.dtype or kept.device != weight.device:
            kept = self.storage = torch.empty_like(weight)
        return kept.view(kept.shape)


class LinearCrossEntropy(torch.autograd.Function):
    """sum_i -log softmax(hidden_i @ weight.T)[target_i], with the gradients made in the forward pass."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                kept: KeptGradient | None = None) -> torch.Tensor:
        want_hidden, want_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_hidden = torch.empty_like(hidden) if want_hidden else None
        grad_weight = None
        if want_weight:  # written by the first chunk's product, added to by the others
            grad_weight = kept.take(weight) if kept is not None else torch.empty_like(weight)
            if hidden.shape[0] == 0:
                grad_weight.zero_()
        total = hidden.new_zeros((), dtype=torch.float32)
        rows = chunk_rows(weight.shape[0], weight.element_size())
        for start in range(0, hidden.shape[0], rows):
            h, t = hidden[start:start + rows], targets[start:start + rows]
            logits = h @ weight.T
            norm = torch.logsumexp(logits, dim=1, keepdim=True)
            total += (norm.squeeze(1) - logits.gather(1, t[:, None]).squeeze(1)).sum()
            if not (want_hidden or want_weight):
                continue
            probs = logits.sub_(norm).exp_()  # d(sum of NLL)/d(logits) = softmax - one-hot
            probs[torch.arange(t.shape[0], device=t.device), t] -= 1
            if want_hidden:
                torch.mm(probs, weight, out=grad_hidden[start:start + rows])
            if want_weight:
                if start == 0:
                    torch.mm(probs.T, h, out=grad_weight)
                else:
                    grad_weight.addmm_(probs.T, h)
        # Plain attributes, not saved tensors: they are results, never modified by the caller.
        ctx.grad_hidden, ctx.grad_weight = grad_hidden, grad_weight
        return total

    @staticmethod
    def backward(ctx, grad_total: torch.Tensor):
        grads = []
        for grad in (ctx.grad_hidden, ctx.grad_weight):
            grads.append(None if grad is None else grad.mul_(grad_total))
        ctx.grad_hidden = ctx.grad_weight = None
        return grads[0], grads[1], None, None


def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                         kept: KeptGradient | None = None) -> torch.Tensor:
    """Sum of next-token NLL; `hidden` [N, H], `weight` [V, H], `targets` [N] (every one a real token)."""
    if torch.is_grad_enabled():
        return LinearCrossEntropy.apply(hidden, weight, targets, kept)
    with torch.no_grad():  # evaluation: chunked too, no gradients made
        return LinearCrossEntropy.forward(_NoGrad(), hidden, weight, targets)


class _NoGrad:
    needs_input_grad = (False, False, False, False)


class SwiGLU(torch.autograd.Function):
    """down(silu(gate(x)) * up(x)) keeping x, gate(x) and up(x) for backward."""

    @staticmethod
    def forward(ctx, x, w_gate, w_up, w_down):
        gate, up = F.linear(x, w_gate), F.linear(x, w_up)
        out = F.linear(F.silu(gate) * up, w_down)
        ctx.save_for_backward(x, gate, up, w_gate, w_up, w_down)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, gate, up, w_gate, w_up, w_down = ctx.saved_tensors
        need_x, need_gate, need_up, need_down = ctx.needs_input_grad
        x2, gate, up = x.reshape(-1, x.shape[-1]), gate.reshape(-1, gate.shape[-1]), up.reshape(-1, up.shape[-1])
        grad_out = grad_out.reshape(-1, grad_out.shape[-1])
        silu = F.silu(gate)
        grad_w_down = grad_out.T @ (silu * up) if need_down else None
        grad_mid = grad_out @ w_down  # d loss / d(silu(gate) * up)
        grad_up = grad_mid * silu
        del silu
        grad_gate = torch.ops.aten.silu_backward(grad_mid.mul_(up), gate)  # one kernel, as autograd's SiLU
        grad_x = None
        if need_x:
            grad_x = (grad_gate @ w_gate).addmm_(grad_up, w_up).view_as(x)
        grad_w_gate = grad_gate.T @ x2 if need_gate else None
        grad_w_up = grad_up.T @ x2 if need_up else None
        return grad_x, grad_w_gate, grad_w_up, grad_w_down


class RMSNorm(torch.autograd.Function):
    """weight * x / sqrt(mean(x^2) + eps), computed as transformers' LlamaRMSNorm does in fp32."""

    @staticmethod
    def forward(ctx, x, weight, eps: float):
        scale = torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
        ctx.save_for_backward(x, weight, scale)
        return weight * (x * scale)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, scale = ctx.saved_tensors
        normed = x * scale
        grad_weight = (grad_out * normed).reshape(-1, x.shape[-1]).sum(0) if ctx.needs_input_grad[1] else None
        grad_normed = grad_out * weight
        # d/dx of x * scale(x): scale * (g - normed * mean(g * normed)), g the gradient at normed
        grad_x = grad_normed.sub_(normed * (grad_normed * normed).mean(-1, keepdim=True)).mul_(scale)
        return grad_x, grad_weight, None


def _rms_norm_forward(norm, x):
    if x.dtype != torch.float32:
        return type(norm).forward(norm, x)
    return RMSNorm.apply(x, norm.weight, norm.variance_epsilon)


def is_plain_rms_norm(module) -> bool:
    return (type(module).__name__ in PLAIN_NORMS and isinstance(getattr(module, "weight", None), torch.nn.Parameter)
            and isinstance(getattr(module, "variance_epsilon", None), float))


def _swiglu_forward(mlp, x):
    return SwiGLU.apply(x, mlp.gate_proj.weight, mlp.up_proj.weight, mlp.down_proj.weight)


def is_plain_swiglu(module) -> bool:
    parts = [getattr(module, name, None) for name in ("gate_proj", "up_proj", "down_proj")]
    return (all(type(p) is torch.nn.Linear and p.bias is None for p in parts)
            and type(getattr(module, "act_fn", None)).__name__ in ("SiLU", "SiLUActivation"))


def use_fused_ops(model, keep_head_gradient: bool = True) -> int:
    """Switch a plain (non-LoRA) model's SwiGLU MLPs and RMSNorms to the lean ops and mark its head for the fused loss.

    `keep_head_gradient`: reuse the output layer's gradient memory from step to step (`KeptGradient`);
    off for `--low_cpu_memory`, where the 113 MB it keeps through the forward pass would raise the peak
    (2.68 vs 2.63 GB in a per-layer RSS timeline). Returns the number of MLPs switched; 0 (and nothing
    changed) for models outside PLAIN_HEAD_MODELS.
    """
    if type(model).__name__ not in PLAIN_HEAD_MODELS or model.get_output_embeddings().bias is not None:
        return 0
    switched = 0
    for module in model.modules():
        if is_plain_swiglu(module):
            module.forward = _swiglu_forward.__get__(module)
            switched += 1
        elif is_plain_rms_norm(module):
            module.forward = _rms_norm_forward.__get__(module)
    model.labtune_fused_loss = True
    model.labtune_head_gradient = KeptGradient() if keep_head_gradient else None
    return switched


def fused_loss_sum(model, input_ids, position_ids, keep, targets) -> torch.Tensor:
    """The decoder's hidden states at the kept positions, then linear_cross_entropy with the output layer."""
    hidden = model.get_decoder()(input_ids=input_ids, position_ids=position_ids, use_cache=False).last_hidden_state
    return linear_cross_entropy(hidden[0, keep], model.get_output_embeddings().weight, targets,
                                getattr(model, "labtune_head_gradient", None))
