import math

import pytest
import torch

from labtune.data.conversation import Conversation, Message
from labtune.eval.perplexity import perplexity
from labtune.model.load import load

CONVERSATIONS = [
    Conversation([Message("user", "What is the capital of France?"), Message("assistant", "Paris.")]),
    Conversation([Message("system", "Be brief."), Message("user", "Name three colors."),
                  Message("assistant", "Red, green and a rather long blue."), Message("user", "And one more?"),
                  Message("assistant", "Yellow.")]),
    Conversation([Message("user", "Hi"), Message("assistant", "Hello! How can I help you today?")]),
]


def independent_perplexity(loaded, conversations) -> float:
    """exp(mean NLL) over assistant tokens, one unpadded conversation at a time, by hand."""
    nlls = []
    for conv in conversations:
        ids, assistant = [], []
        for seg in loaded.template.segments(conv):
            seg_ids = loaded.tokenizer(seg.text, add_special_tokens=False)["input_ids"]
            ids += seg_ids
            assistant += [seg.trainable] * len(seg_ids)
        with torch.no_grad():
            logprobs = torch.log_softmax(loaded.model(torch.tensor([ids])).logits[0].double(), dim=-1)
        nlls += [-logprobs[t - 1, ids[t]].item() for t in range(1, len(ids)) if assistant[t]]
    return math.exp(sum(nlls) / len(nlls))


@pytest.mark.parametrize("batch_size", [1, 3])
def test_perplexity_is_exp_mean_nll_on_assistant_tokens(tiny_model_dir, batch_size):
    loaded = load(str(tiny_model_dir))
    result = perplexity(loaded, CONVERSATIONS, batch_size=batch_size)
    assert result.conversations == 3
    assert result.value == pytest.approx(independent_perplexity(loaded, CONVERSATIONS), rel=1e-4)
    assert result.value == pytest.approx(math.exp(result.nll / result.tokens))


def test_perplexity_ignores_prompt_tokens(tiny_model_dir):
    """Changing only a user turn changes the context, but not which tokens are counted."""
    loaded = load(str(tiny_model_dir))
    short = perplexity(loaded, [CONVERSATIONS[0]])
    longer_question = Conversation([Message("user", "What is the capital of France? " * 5),
                                    Message("assistant", "Paris.")])
    assert perplexity(loaded, [longer_question]).tokens == short.tokens
