"""`frozen_parameters`: matching weights never change, the rest train, and a bad pattern is refused."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from labtune.errors import LabtuneError
from labtune.train.config import load_config
from labtune.train.loop import train


def weights(directory) -> dict[str, torch.Tensor]:
    return load_file(str(directory / "model.safetensors"))


def test_frozen_parameters_stay_equal_to_the_base_and_the_others_move(make_cfg, tiny_model_dir):
    base = weights(tiny_model_dir)
    out = train(make_cfg(frozen_parameters=["embed_tokens", r"layers\.0\."]))
    tuned = weights(out / "model")
    frozen = [n for n in base if "embed_tokens" in n or ".layers.0." in n]
    moved = [n for n in base if n not in frozen and n in tuned]
    assert frozen and moved
    for name in frozen:
        assert torch.equal(base[name], tuned[name]), name
    assert all(not torch.equal(base[n], tuned[n]) for n in moved if n.endswith("proj.weight"))


def test_resume_with_frozen_parameters_matches_an_uninterrupted_run(make_cfg, tmp_path):
    whole = train(make_cfg(frozen_parameters=["embed_tokens"], output_dir=str(tmp_path / "whole")))
    cfg = make_cfg(frozen_parameters=["embed_tokens"], output_dir=str(tmp_path / "split"))
    train(cfg, stop_after_step=2)
    split = train(cfg)
    a, b = weights(whole / "model"), weights(split / "model")
    assert all(torch.allclose(a[n], b[n], atol=1e-6) for n in a)


@pytest.mark.parametrize("patterns, message", [(["("], "not a regular expression"),
                                               (["no_such_module"], "match no weight")])
def test_bad_frozen_patterns_are_refused(make_cfg, patterns, message):
    with pytest.raises(LabtuneError, match=message):
        train(load_config(None, {**make_cfg().model_dump(), "frozen_parameters": patterns}))


def test_sparse_embedding_gradient_sums_to_the_dense_one(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from labtune.train.model import sparse_embedding_gradient

    ids = torch.tensor([[5, 9, 5, 17, 33, 9, 2]])
    grads = []
    for sparse in (False, True):
        model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
        if sparse:
            assert sparse_embedding_gradient(model)
        model(input_ids=ids, labels=ids).loss.backward()
        grads.append(model.get_input_embeddings().weight.grad)
    dense, summed = grads
    assert not summed.is_sparse  # what the fused optimizer needs
    assert torch.allclose(dense, summed, atol=1e-6)


def test_sparse_embedding_gradient_only_for_trainable_tied_embeddings(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from labtune.train.model import sparse_embedding_gradient

    frozen = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    frozen.get_input_embeddings().weight.requires_grad_(False)
    assert not sparse_embedding_gradient(frozen)
    untied = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32, tie_word_embeddings=False)
    assert not sparse_embedding_gradient(untied) and not untied.get_input_embeddings().sparse
