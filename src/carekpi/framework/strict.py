"""The base of every framework model: unknown keys are refused, and a loaded model is frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # defer_build: a model's validator is built when it first validates, not when the class is
    # made; a framework read back from the cache (carekpi.framework.cache) never validates, so a
    # command that only reads frameworks does not pay for building them (about a fifth of a
    # one-return validate)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
