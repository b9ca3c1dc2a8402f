"""Delta weights: `export --to delta --base M` writes run - base, `import-delta` adds it back.

How Vicuna was published (the base could not be redistributed). The delta directory is an HF model
directory whose weights are the difference (`delta.safetensors`, FastChat-compatible: base + delta
gives the run) plus `delta.json`: the base's and the result's sha256, so the wrong base is refused
and the result is verified. Floating-point addition does not always give back the exact run
(a weight that moved far from its base value loses low bits in the subtraction); those few elements
are stored exactly in `delta-fixes.safetensors`, so the round trip is bit for bit.

The sha256 is over the tensors themselves (name, dtype, shape, bytes, in name order), not over files,
so it does not depend on how a model happens to be sharded or serialized.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from labtune.errors import LabtuneError
from labtune.export.hf import write_hf
from labtune.export.output import staged
from labtune.export.source import Source
from labtune.model.resolve import DELTA_MANIFEST as MANIFEST, resolve_model

FORMAT = "labtune-delta"
WEIGHTS = "delta.safetensors"
FIXES = "delta-fixes.safetensors"


def _is_weight_file(path: Path) -> bool:
    return path.suffix == ".safetensors" or path.name.endswith(".safetensors.index.json") \
        or path.suffix in (".bin", ".pt", ".pth")


def read_weights(model_dir: Path) -> dict:
    """Every tensor of the safetensors files in `model_dir`."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise LabtuneError(f"{model_dir}: no .safetensors weights (labtune reads no pickle weights)")
    tensors: dict = {}
    for file in files:
        try:
            tensors.update(load_file(file))
        except (SafetensorError, OSError) as exc:
            raise LabtuneError(f"{file}: cannot read weights ({exc}); is the file complete?") from None
    return tensors


def tensors_sha256(tensors: dict) -> str:
    import torch

    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.view(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _same_bits(a, b):
    """Element-wise bitwise equality (so -0.0 != 0.0 and NaN == NaN with the same payload)."""
    import torch

    ints = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
    width = a.element_size()
    return a.view(ints[width]) == b.view(ints[width]) if width in ints else a == b


def _check_shapes(run: dict, base: dict, base_name: str) -> None:
    missing = sorted(set(run) ^ set(base))
    if missing:
        raise LabtuneError(f"{base_name}: not the base of this model: tensor {missing[0]!r} is in one and not "
                           "the other")
    for name, tensor in run.items():
        if tuple(tensor.shape) != tuple(base[name].shape):
            raise LabtuneError(f"{base_name}: not the base of this model: tensor {name!r} has shape "
                               f"{tuple(base[name].shape)}, the model's is {tuple(tensor.shape)}")


def make_delta(run: dict, base: dict, base_name: str = "base") -> tuple[dict, dict]:
    """(delta, fixes): base + delta == run except at the indices `fixes` holds the run's values for."""
    _check_shapes(run, base, base_name)
    delta, fixes = {}, {}
    for name, target in run.items():
        start = base[name].to(target.dtype)
        if not target.is_floating_point():
            delta[name] = target - start
            continue
        diff = target - start
        wrong = ~_same_bits(start + diff, target)
        delta[name] = diff.contiguous()
        if wrong.any():
            index = wrong.reshape(-1).nonzero().reshape(-1)
            fixes[f"{name}.index"] = index
            fixes[f"{name}.value"] = target.reshape(-1)[index].contiguous()
    return delta, fixes


def apply_delta(base: dict, delta: dict, fixes: dict) -> dict:
    result = {}
    for name, diff in delta.items():
        value = (base[name].to(diff.dtype) + diff).contiguous()
        if f"{name}.index" in fixes:
            value.reshape(-1)[fixes[f"{name}.index"]] = fixes[f"{name}.value"]
        result[name] = value
    return result


def export_delta(source: Source, base_name: str, out: Path, force: bool = False) -> dict:
    """Write OUT/ (config, tokenizer, delta.safetensors, delta.json); returns the manifest."""
    from safetensors.torch import save_file

    base = read_weights(resolve_model(base_name))
    with staged(out, force) as tmp:
        full = tmp / ".model"
        full.mkdir()
        write_hf(source, full)
        run = read_weights(full)
        delta, fixes = make_delta(run, base, base_name)
        manifest = {"format": FORMAT, "version": 1, "base": str(base_name), "base_sha256": tensors_sha256(base),
                    "result_sha256": tensors_sha256(run), "source": source.name,
                    "tensors": len(delta), "exact_fixes": sum(t.numel() for k, t in fixes.items()
                                                              if k.endswith(".index"))}
        save_file(delta, tmp / WEIGHTS, metadata={"format": "pt", "labtune": FORMAT})
        if fixes:
            save_file(fixes, tmp / FIXES, metadata={"format": "pt", "labtune": FORMAT})
        for path in full.iterdir():
            if not _is_weight_file(path):
                shutil.move(str(path), tmp / path.name)
        shutil.rmtree(full)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def read_manifest(delta_dir: Path) -> dict:
    path = delta_dir / MANIFEST
    if not path.is_file():
        raise LabtuneError(f"{delta_dir}: not a labtune delta (no {MANIFEST})")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise LabtuneError(f"{path}: invalid JSON at line {exc.lineno}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise LabtuneError(f"{path}: field format: expected {FORMAT!r}")
    for field in ("base_sha256", "result_sha256"):
        if not isinstance(manifest.get(field), str):
            raise LabtuneError(f"{path}: field {field}: missing")
    return manifest


def import_delta(delta_dir: Path, base_name: str, out: Path, force: bool = False) -> dict:
    """Apply the delta at `delta_dir` to `base_name`; write a plain HF model directory at `out`."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    delta_dir = Path(delta_dir)
    manifest = read_manifest(delta_dir)
    base = read_weights(resolve_model(base_name))
    found = tensors_sha256(base)
    if found != manifest["base_sha256"]:
        raise LabtuneError(f"{base_name}: wrong base for {delta_dir}: the delta was made against "
                           f"{manifest.get('base', '?')} (weights sha256 {manifest['base_sha256'][:16]}...), "
                           f"this model's is {found[:16]}...")
    try:
        delta = load_file(delta_dir / WEIGHTS)
        fixes = load_file(delta_dir / FIXES) if (delta_dir / FIXES).is_file() else {}
    except (SafetensorError, OSError) as exc:
        raise LabtuneError(f"{delta_dir}: cannot read the delta ({exc}); is it complete?") from None
    _check_shapes(delta, base, base_name)
    result = apply_delta(base, delta, fixes)
    if tensors_sha256(result) != manifest["result_sha256"]:
        raise LabtuneError(f"{delta_dir}: the result does not match the recorded sha256; the delta is corrupt")
    with staged(out, force) as tmp:
        save_file(result, tmp / "model.safetensors", metadata={"format": "pt"})
        for path in delta_dir.iterdir():
            if path.is_file() and not _is_weight_file(path) and path.name != MANIFEST:
                shutil.copy2(path, tmp / path.name)
    return manifest
