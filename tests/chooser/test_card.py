"""Model cards read from the files: exact parameter counts, context, licence; no model loaded."""

from __future__ import annotations

import shutil

import pytest

from labtune.chooser import card as card_module
from labtune.chooser.card import describe
from labtune.errors import LabtuneError


def test_an_hf_directory_counts_its_weights_and_reads_the_model_cards_licence(tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    model_dir = tmp_path / "tiny"
    shutil.copytree(tiny_model_dir, model_dir)
    (model_dir / "README.md").write_text("---\nlicense: mit\nlanguage: en\n---\n# tiny\n")
    card = describe(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    assert card.parameters == sum(p.numel() for p in model.parameters()) and card.parameters_from == "weights"
    assert card.architecture.parameters == card.parameters  # the formula the computed estimates use
    assert (card.license, card.context, card.source, card.present) == ("mit", 512, "HF directory", True)


def test_the_default_alias_is_read_from_its_gguf_metadata():
    card = describe("smollm2-135m")
    assert card.present and card.parameters_from == "weights"
    assert card.parameters == card.architecture.parameters == 134_515_008
    assert (card.context, card.license, card.architecture.layers, card.architecture.tied) == (8192, "apache-2.0", 30, True)


def test_an_alias_whose_package_is_missing_is_costed_from_its_published_architecture(monkeypatch):
    def missing(alias):
        raise LabtuneError("not installed")

    monkeypatch.setattr(card_module, "alias_gguf", missing)
    card = describe("smollm2-135m")
    assert not card.present and card.parameters_from == "architecture" and card.parameters == 134_515_008


def test_unknown_models_and_broken_files_are_one_line_errors(tmp_path):
    with pytest.raises(LabtuneError, match="'nowhere' not found"):
        describe("nowhere")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 20)
    with pytest.raises(LabtuneError, match="broken.gguf: cannot read GGUF metadata"):
        describe(str(broken))
