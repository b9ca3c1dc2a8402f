"""int8 weights for CPU inference: every linear layer's weight stored as int8 with one scale per
output row (weight-only; activations stay bfloat16), as `labtune serve/chat --dtype int8` loads it.

A decode step reads every weight once, so on a CPU it runs at the speed of memory: int8 halves the
bytes of bfloat16 again. torch's `_weight_int8pack_mm` kernel multiplies a few rows by int8 weights
without expanding them (a decode step); its cost grows with every row, so for many rows (a prefill
chunk) the weight is expanded to bfloat16 and multiplied as usual. One or a few streams gain the most;
a batch of 8 decodes slower than with bfloat16 weights (docs/serve.md).
benchmarks/serve_dtype.py measures the speed and how many answers stay as float32's.
"""

from __future__ import annotations

import torch

# Rows up to which the int8 kernel is no slower than expanding the weight (2-core AVX512-BF16 CPU, weights
# out of cache, 1536 x 576: 1 row 81 us against 244 us, 16 rows 339 us against 369 us, 32 rows 496 against 328).
KERNEL_MAX_ROWS = 16


def available() -> bool:
    """Whether this torch has the CPU kernel."""
    return hasattr(torch.ops.aten, "_weight_int8pack_mm")


class Int8Linear(torch.nn.Module):
    """A `nn.Linear` for inference with its weight as int8 rows and a scale per row."""

    def __init__(self, linear: torch.nn.Linear, dtype: torch.dtype = torch.bfloat16):
        super().__init__()
        weight = linear.weight.detach().float()
        scales = weight.abs().amax(dim=1).clamp(min=1e-12) / 127
        self.register_buffer("weight_int8", torch.round(weight / scales[:, None]).clamp(-127, 127)
                             .to(torch.int8).contiguous())
        self.register_buffer("scales", scales.to(dtype))
        self.bias = None if linear.bias is None else torch.nn.Parameter(linear.bias.detach().to(dtype),
                                                                         requires_grad=False)
        self.in_features, self.out_features = linear.in_features, linear.out_features

    def dequantized(self) -> torch.Tensor:
        return self.weight_int8.to(self.scales.dtype) * self.scales[:, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(self.scales.dtype)
        if rows.shape[0] <= KERNEL_MAX_ROWS:
            out = torch.ops.aten._weight_int8pack_mm(rows.contiguous(), self.weight_int8, self.scales)
        else:
            out = torch.nn.functional.linear(rows, self.dequantized())
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)


def load_int8(name: str, device: str | None = None, template: str | None = None):
    """`labtune.model.load.load` in bfloat16, then its linear layers as int8 (`quantize_int8`)."""
    from labtune.model.load import load

    loaded = load(name, dtype=torch.bfloat16, device=device, template=template)
    loaded.model = quantize_int8(loaded.model)
    return loaded


def quantize_int8(model, dtype: torch.dtype = torch.bfloat16):
    """The model with its linear layers (the output head included) as `Int8Linear`; a LoRA adapter
    is merged into its base first. The model should already be in `dtype` (norms and embeddings stay so)."""
    if hasattr(model, "merge_and_unload"):  # a PeftModel: int8 holds merged weights only
        model = model.merge_and_unload()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is torch.nn.Linear:
                setattr(parent, name, Int8Linear(child, dtype))
    return model
