"""Request bodies of the OpenAI endpoints we serve, and OpenAI-shaped errors.

The models are the API's contract: FastAPI validates every body against them and publishes them
in /openapi.json. Types are strict (`"max_tokens": "5"` and `"stream": "yes"` are refused, as
OpenAI refuses them); unknown fields are ignored (the official client sends several we do not use);
a wrong value of a known field is refused naming the field, as OpenAI does with `param`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import HTTPException
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, field_validator
from starlette.responses import JSONResponse

INT32_MAX = 2**31 - 1


def _whole_number(value):
    """JSON Schema's integer includes 2.0; strictness is about "5" and true, not about that."""
    return int(value) if type(value) is float and value.is_integer() else value


SAFE_INTEGER = 2**53 - 1


def whole(low: int, high: int):
    """An integer field from `low` to `high`."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole_number)]
StopString = Annotated[str, Field(max_length=256)]  # "" is ignored


class ApiError(HTTPException):
    """An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error", headers: dict | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def server_error(request_id: str) -> ApiError:
    """What a client sees of a failure on our side: no exception text, no path; the id finds the log."""
    return ApiError(500, f"internal error while handling the request; request id {request_id}",
                    kind="server_error", code="internal_error")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class ChatMessage(_Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None  # accepted, not used

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class StreamOptions(_Strict):
    include_usage: bool | None = None


class _Sampled(_Strict):
    model: str | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0, description="0 is greedy; default 1")
    top_p: float | None = Field(None, gt=0.0, le=1.0, description="default 1")
    max_tokens: whole(1, INT32_MAX) | None = None
    stop: StopString | Annotated[list[StopString], Field(max_length=4)] | None = None
    # JSON's exactly representable integers (JavaScript's safe range): beyond them a client's number and
    # the schema's bounds are compared as doubles, where -2**63 - 191 equals -2**63.
    seed: whole(-SAFE_INTEGER, SAFE_INTEGER) | None = Field(None, description="any integer within +-(2**53 - 1)")
    n: whole(1, 1) | None = Field(None, description="only 1 is supported")
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    repetition_penalty: float | None = Field(None, gt=0.0, le=2.0, description="FastChat's extension; default 1")

    def stop_list(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


# JSON Schema's way to say what `_has_a_user_turn` checks, so /openapi.json says it too
HAS_USER = {"contains": {"type": "object", "properties": {"role": {"const": "user"}}, "required": ["role"]}}


class ChatCompletionRequest(_Sampled):
    messages: list[ChatMessage] = Field(min_length=1, json_schema_extra=HAS_USER)
    max_completion_tokens: whole(1, INT32_MAX) | None = Field(None, description="the newer name for max_tokens")

    @field_validator("messages")
    @classmethod
    def _has_a_user_turn(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.role == "user" for m in messages):
            raise ValueError("the conversation needs at least one user message")
        return messages

    def requested_tokens(self) -> tuple[str, int | None]:
        if self.max_completion_tokens is not None:
            return "max_completion_tokens", self.max_completion_tokens
        return "max_tokens", self.max_tokens

    def prompt_chars(self) -> int:
        return sum(len(m.text()) for m in self.messages)


class CompletionRequest(_Sampled):
    prompt: str | Annotated[list[str], Field(min_length=1, max_length=1)] = Field(
        description="one prompt: a string, or a list of one string")
    max_tokens: whole(1, INT32_MAX) | None = 16  # OpenAI's default for /v1/completions

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    def requested_tokens(self) -> tuple[str, int | None]:
        return "max_tokens", self.max_tokens

    def prompt_chars(self) -> int:
        return len(self.prompt_text())


def capped(max_tokens: int) -> tuple[type[ChatCompletionRequest], type[CompletionRequest]]:
    """The request models of a server whose cap on max_tokens is `max_tokens`: the schema says the cap."""
    tokens = whole(1, max_tokens) | None
    about = f"at most {max_tokens} on this server"
    chat = create_model("ChatCompletionRequest", __base__=ChatCompletionRequest, __doc__=ChatCompletionRequest.__doc__,
                        max_tokens=(tokens, Field(None, description=about)),
                        max_completion_tokens=(tokens, Field(None, description=about)))
    text = create_model("CompletionRequest", __base__=CompletionRequest, __doc__=CompletionRequest.__doc__,
                        max_tokens=(tokens, Field(min(16, max_tokens), description=f"default 16, {about}")))
    return chat, text
