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


def test_frozen_layer_fraction_freezes_the_bottom_layers_only(make_cfg, tiny_model_dir):
    base = weights(tiny_model_dir)
    tuned = weights(train(make_cfg(frozen_layer_fraction=0.5)) / "model")  # the tiny model has 2 layers
    bottom = [n for n in base if ".layers.0." in n]
    top = [n for n in base if ".layers.1." in n and n.endswith("proj.weight")]
    assert bottom and top
    assert all(torch.equal(base[n], tuned[n]) for n in bottom)
    assert all(not torch.equal(base[n], tuned[n]) for n in top)


def test_frozen_layer_fraction_with_lora_is_refused(make_cfg):
    with pytest.raises(LabtuneError, match="frozen_layer_fraction applies to a full fine-tune"):
        train(make_cfg(frozen_layer_fraction=0.5, lora=True))


@pytest.mark.parametrize("patterns, message", [(["("], "not a regular expression"),
                                               (["no_such_module"], "match no weight")])
def test_bad_frozen_patterns_are_refused(make_cfg, patterns, message):
    with pytest.raises(LabtuneError, match=message):
        train(load_config(None, {**make_cfg().model_dump(), "frozen_parameters": patterns}))


@pytest.mark.parametrize("padding_idx", [None, 9])
def test_tied_embedding_gradient_in_place_equals_autograds(tiny_model_dir, padding_idx):
    from transformers import AutoModelForCausalLM

    from labtune.train.cpu.tied import tied_embedding_gradient_in_place

    batches = [torch.tensor([[5, 9, 5, 17, 33, 9, 2]]), torch.tensor([[9, 40, 41, 5, 5]])]
    grads = []
    for in_place in (False, True):
        model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
        model.get_input_embeddings().padding_idx = padding_idx
        if in_place:
            assert tied_embedding_gradient_in_place(model)
        for ids in batches:  # two micro-batches: the second adds into the first's gradient
            model(input_ids=ids, labels=ids).loss.backward()
        grads.append(model.get_input_embeddings().weight.grad)
    autograds, in_place = grads
    assert not in_place.is_sparse  # what the fused optimizer needs
    assert torch.allclose(autograds, in_place, atol=1e-6)
    assert in_place[41].abs().sum() > 0  # a row only the input side touches
    if padding_idx is not None:  # the padding row has only the output side's gradient, as autograd's
        assert torch.equal(autograds[padding_idx], in_place[padding_idx])


def test_tied_embedding_gradient_in_place_only_for_trainable_tied_embeddings(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    from labtune.train.cpu.tied import tied_embedding_gradient_in_place

    frozen = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    frozen.get_input_embeddings().weight.requires_grad_(False)
    assert not tied_embedding_gradient_in_place(frozen)
    untied = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32, tie_word_embeddings=False)
    assert not tied_embedding_gradient_in_place(untied)
    assert "forward" not in vars(untied.get_input_embeddings())
