"""Pricing an AI interaction in credits from the tokens of every LLM call it made."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from core.errors import InvalidInput


class InteractionType(enum.StrEnum):
    SIMPLE_QUESTION = "simple_question"
    DATA_ANALYSIS = "data_analysis"
    SUMMARIZATION = "summarization"
    ACTION_SINGLE = "action_single"
    ACTION_BULK = "action_bulk"
    COMPLEX_MULTI_TURN = "complex_multi_turn"


@dataclass(frozen=True)
class TokenUsage:
    """Tokens an interaction used; `estimated` when counted locally, not by the provider."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False

    def __post_init__(self) -> None:
        if self.input_tokens < 0 or self.output_tokens < 0:
            raise InvalidInput("token counts cannot be negative")

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            estimated=self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class PricingRule:
    """`credits = clamp(ceil((in_w*input + out_w*output) / divisor), minimum, maximum)`."""

    input_weight: int = 1
    output_weight: int = 4
    divisor: int = 4000
    minimum: int = 1
    maximum: int = 6

    def __post_init__(self) -> None:
        if self.input_weight < 0 or self.output_weight < 0:
            raise InvalidInput("pricing weights cannot be negative")
        if self.divisor <= 0:
            raise InvalidInput("pricing divisor must be positive")
        if not 0 < self.minimum <= self.maximum:
            raise InvalidInput("pricing needs 0 < minimum <= maximum")

    def weighted_tokens(self, usage: TokenUsage) -> int:
        return self.input_weight * usage.input_tokens + self.output_weight * usage.output_tokens

    def credits_for(self, usage: TokenUsage) -> int:
        raw = math.ceil(self.weighted_tokens(usage) / self.divisor)
        return max(self.minimum, min(self.maximum, raw))
