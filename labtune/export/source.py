"""What every export starts from: a run (or a plain model) as one standalone transformers model,
with its tokenizer and the one template it was trained with. A LoRA run is merged into its base."""

from __future__ import annotations

from dataclasses import dataclass

from labtune.data.templates import ChatTemplate
from labtune.errors import LabtuneError
from labtune.model.load import load
from labtune.model.run_dir import RunDir
from labtune.train.output import hf_chat_template


@dataclass
class Source:
    model: object  # a plain transformers PreTrainedModel (merged when the run is LoRA)
    tokenizer: object
    template: ChatTemplate
    name: str
    run: RunDir | None

    @property
    def chat_template(self) -> str:
        """The run's template as a Hugging Face Jinja chat template."""
        return hf_chat_template(self.template, self.tokenizer)

    @property
    def stop_token_ids(self) -> list[int]:
        return self.template.stop_token_ids(self.tokenizer)

    @property
    def base_model(self) -> str | None:
        return self.run.base_model if self.run else None


def load_source(name: str, template: str | None = None) -> Source:
    """Load `name` (run directory, model directory, .gguf or alias) in float32, merged.
    `template` is for plain models (a base model has no chat template); a run has its own."""
    import torch
    from safetensors import SafetensorError

    try:
        loaded = load(name, dtype=torch.float32, template=template)
    except LabtuneError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:  # a corrupt or truncated weight file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LabtuneError(f"{name}: cannot load the model: {first}") from None
    model = loaded.model
    if hasattr(model, "merge_and_unload"):  # a PEFT model: fold the adapter into the base weights
        model = model.merge_and_unload()
    model.eval()
    return Source(model, loaded.tokenizer, loaded.template, str(name), loaded.run)
