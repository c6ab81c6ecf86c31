"""The Prometheus metrics of a serving process (one registry per app, never the global one)
and what feeds them: the answer observer, the LLM and credit-store decorators, the event loop
lag probe, and the deployment-wide gauges read from the database at scrape time.

Per process: answers, refusals, LLM latency and tokens, credits charged, holds and answers in
flight, event-loop lag. Deployment-wide (every replica reports the same, cached a few
seconds): holds open, the alert outbox depth, messages claimed and not yet answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from adapters.metrics import DeploymentFigures
from core.chat.draining import AnswersInFlight
from core.chat.observe import AnswerOutcome, Refusal
from core.llm import ChatMessage, ChatModel, LLMReply, OnText, ToolSpec

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)
LAG_EVERY = 0.5  # seconds between two event-loop lag probes
FIGURES_TTL = 5.0  # seconds the deployment-wide figures are cached

ReadFigures = Callable[[], Awaitable[DeploymentFigures]]


class BotMetrics:
    def __init__(self, *, figures: ReadFigures | None = None) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)

        def counter(name: str, about: str, *labels: str) -> Counter:
            return Counter(name, about, labels, registry=registry)

        def gauge(name: str, about: str) -> Gauge:
            return Gauge(name, about, registry=registry)

        self.answers = counter("setget_answers", "Messages finished, by outcome.", "outcome")
        self.refusals = counter("setget_refusals", "Messages refused, by reason.", "reason")
        self.requests_refused = counter(
            "setget_requests_refused", "HTTP requests refused before Bolt, by status.", "status"
        )
        self.llm_latency = Histogram(
            "setget_llm_latency_seconds",
            "One LLM call, start to last token.",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.llm_tokens = counter("setget_llm_tokens", "Tokens of LLM calls.", "direction")
        self.credits_charged = counter("setget_credits_charged", "Credits charged here.")
        self.holds_in_flight = gauge("setget_holds_in_flight", "Holds this process has open.")
        self.answers_in_flight = gauge("setget_answers_in_flight", "Answers being made here.")
        self.loop_lag = gauge("setget_event_loop_lag_seconds", "Event-loop lag, last probe.")
        self.loop_lag_max = gauge("setget_event_loop_lag_max_seconds", "Worst event-loop lag.")
        self._deployment = {
            "holds_open": gauge("setget_holds_open", "Holds open on every replica (database)."),
            "outbox_depth": gauge("setget_alert_outbox_depth", "Alerts not yet delivered."),
            "claims_open": gauge("setget_claims_open", "Messages claimed, not yet answered."),
        }
        self._zeros()
        self._figures = figures
        self._read_at: float | None = None

    def _zeros(self) -> None:
        """Every label a dashboard expects, at 0 before it first happens."""
        for outcome in AnswerOutcome:
            self.answers.labels(outcome.value)
        for refusal in Refusal:
            self.refusals.labels(refusal.value)
        for direction in ("input", "output"):
            self.llm_tokens.labels(direction)

    def watch(self, in_flight: AnswersInFlight) -> None:
        """Answers in flight are counted where they are tracked (the drain's own count)."""
        self.answers_in_flight.set_function(lambda: float(len(in_flight)))

    def request_refused(self, status: int) -> None:
        """A request to `/slack/events` refused unread by Bolt (unsigned, malformed, too big)."""
        self.requests_refused.labels(str(status)).inc()

    def answer_finished(self, outcome: AnswerOutcome, refusal: Refusal | None = None) -> None:
        """`core.chat.observe.AnswerObserver`."""
        self.answers.labels(outcome.value).inc()
        if refusal is not None:
            self.refusals.labels(refusal.value).inc()

    async def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type."""
        await self._refresh()
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    async def _refresh(self) -> None:
        now = time.monotonic()
        if self._figures is None or (
            self._read_at is not None and now - self._read_at < FIGURES_TTL
        ):
            return
        self._read_at = now
        try:
            figures = await self._figures()
        except Exception as exc:  # the database down: the process figures still serve
            logger.warning("metrics: deployment figures not read: %s", type(exc).__name__)
            return
        for name, gauge in self._deployment.items():
            gauge.set(getattr(figures, name))

    async def probe_loop_lag(self, every: float = LAG_EVERY) -> None:
        """Until cancelled: how much later than asked a timer fires (a blocked loop)."""
        loop = asyncio.get_running_loop()
        worst = 0.0
        while True:
            asked = loop.time()
            await asyncio.sleep(every)
            lag = max(0.0, loop.time() - asked - every)
            worst = max(worst, lag)
            self.loop_lag.set(lag)
            self.loop_lag_max.set(worst)


class MeasuredModel:
    """A `ChatModel` that times each call and counts its tokens."""

    def __init__(self, model: ChatModel, metrics: BotMetrics) -> None:
        self._model = model
        self._metrics = metrics

    @property
    def label(self) -> str:
        return self._model.label

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        on_text: OnText | None = None,
        max_output_tokens: int | None = None,
    ) -> LLMReply:
        started = time.perf_counter()
        outcome = "error"
        try:
            reply = await self._model.complete(
                messages, tools=tools, on_text=on_text, max_output_tokens=max_output_tokens
            )
            outcome = "ok"
        finally:
            elapsed = time.perf_counter() - started
            self._metrics.llm_latency.labels(outcome).observe(elapsed)
        tokens = self._metrics.llm_tokens
        tokens.labels("input").inc(reply.usage.input_tokens)
        tokens.labels("output").inc(reply.usage.output_tokens)
        return reply

    async def aclose(self) -> None:
        close = getattr(self._model, "aclose", None)
        if close is not None:
            await close()
