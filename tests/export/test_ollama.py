"""--to ollama: the Modelfile's TEMPLATE and stops are the run's template."""

from __future__ import annotations

import pytest

from labtune.data.conversation import Message
from labtune.data.templates import JinjaTemplate, VICUNA_SYSTEM, get_template
from labtune.errors import LabtuneError
from labtune.export.ollama import export_ollama, modelfile, pieces_of
from labtune.export.source import load_source

from export_helpers import leftovers

CHATML_TEMPLATE = ('{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{ range .Messages }}'
                   '{{ if eq .Role "user" }}<|im_start|>user\n{{ .Content }}<|im_end|>\n<|im_start|>assistant\n'
                   '{{ else if eq .Role "assistant" }}{{ .Content }}<|im_end|>\n{{ end }}{{ end }}')


def test_chatml_run_modelfile(lora_run, tmp_path):
    out = export_ollama(load_source(str(lora_run)), tmp_path / "ollama", "q8_0")
    assert sorted(p.name for p in out.iterdir()) == ["Modelfile", "model.gguf"]
    text = (out / "Modelfile").read_text()
    assert text.split("\n", 1)[1] == (f'FROM ./model.gguf\nTEMPLATE """{CHATML_TEMPLATE}"""\n'
                                      'SYSTEM """You are a helpful lab assistant."""\nPARAMETER stop "<|im_end|>"\n')


def test_vicuna_template_keeps_fastchats_spacing_and_default_system():
    pieces = pieces_of(get_template("vicuna_v1.1"))
    assert pieces.go_template() == (
        '{{ if .System }}{{ .System }} {{ end }}{{ range .Messages }}{{ if eq .Role "user" }}USER: {{ .Content }}'
        ' ASSISTANT:{{ else if eq .Role "assistant" }} {{ .Content }}</s>{{ end }}{{ end }}')
    assert pieces.default_system == VICUNA_SYSTEM


def test_alpaca_template_has_no_default_system():
    pieces = pieces_of(get_template("alpaca"))
    assert pieces.default_system is None
    assert pieces.user_prefix.startswith("Below is an instruction that describes a task. Write a response")
    assert pieces.after_user == "\n\n### Response:" and pieces.assistant_suffix == "</s>"


@pytest.mark.parametrize("run_fixture", ["vicuna_run", "alpaca_run"])
def test_modelfile_stops_are_the_runs(run_fixture, request):
    source = load_source(str(request.getfixturevalue(run_fixture)))
    text = modelfile(source)
    assert [line for line in text.splitlines() if line.startswith("PARAMETER")] == [
        f'PARAMETER stop "{stop}"' for stop in source.template.stop]
    messages = [Message("system", "Be brief."), Message("user", "Who?"), Message("assistant", "Dana."),
                Message("user", "When?")]
    assert pieces_of(source.template).render(messages) == source.template.prompt(messages)


def test_template_that_is_not_fixed_texts_is_refused(lora_run, tmp_path):
    numbered = JinjaTemplate("{% for m in messages %}[{{ loop.index }}] {{ m['content'] }}\n{% endfor %}", "numbered",
                             "\n")
    with pytest.raises(LabtuneError, match="'numbered' cannot be written as an Ollama TEMPLATE"):
        pieces_of(numbered)
    source = load_source(str(lora_run))
    source.template = numbered
    with pytest.raises(LabtuneError):
        export_ollama(source, tmp_path / "o")
    assert leftovers(tmp_path, "o") == []
