"""Pricing an interaction from its tokens."""

import pytest

from core.credits.pricing import PricingRule, TokenUsage
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "credits"),
    [
        (0, 0, 1),  # at least the minimum
        (3000, 250, 1),  # 4000 weighted: exactly one
        (3000, 251, 2),  # one token over: rounds up
        (8000, 1000, 3),
        (12000, 1000, 4),
        (100_000, 20_000, 6),  # capped at the maximum
    ],
)
def test_credits_follow_the_weighted_token_rule(
    input_tokens: int, output_tokens: int, credits: int
) -> None:
    assert PricingRule().credits_for(TokenUsage(input_tokens, output_tokens)) == credits


def test_weights_divisor_and_bounds_are_settings() -> None:
    rule = PricingRule(input_weight=2, output_weight=1, divisor=1000, minimum=2, maximum=10)
    assert rule.credits_for(TokenUsage(100, 0)) == 2
    assert rule.credits_for(TokenUsage(2000, 1000)) == 5
    assert rule.credits_for(TokenUsage(50_000, 0)) == 10


def test_usage_of_several_calls_adds_up_and_remembers_estimates() -> None:
    total = TokenUsage(100, 10) + TokenUsage(50, 5, estimated=True)
    assert total == TokenUsage(150, 15, estimated=True)


@pytest.mark.parametrize(
    "kwargs",
    [{"divisor": 0}, {"minimum": 0}, {"minimum": 7, "maximum": 6}, {"input_weight": -1}],
)
def test_bad_pricing_settings_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidInput):
        PricingRule(**kwargs)


def test_negative_token_counts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        TokenUsage(-1, 0)
