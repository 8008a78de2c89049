"""Kubeflow's retry policy, as Argo's retryStrategy applies it: backoff and the retry window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RetryDecision:
    """Whether to start another attempt, after how long, or why not."""

    delay: float | None
    reason: str | None = None


def _seconds(duration: Any) -> float:
    return float(duration.seconds + duration.nanos / 1e9)


def next_retry(policy: Any, attempts_done: int, first_started: float, now: float) -> RetryDecision:
    """Decide on a retry after `attempts_done` failed attempts (monotonic clock seconds).

    The delay is `backoff_duration * backoff_factor ** n` for the n-th retry. Like Argo's
    `backoff.maxDuration`, `backoff_max_duration` bounds the whole retry window: no retry starts
    later than that long after the first attempt started.
    """
    if attempts_done > policy.max_retry_count:
        return RetryDecision(None)
    factor = policy.backoff_factor or 2.0
    delay = _seconds(policy.backoff_duration) * factor ** (attempts_done - 1)
    window = _seconds(policy.backoff_max_duration) or 3600.0
    if now + delay > first_started + window:
        return RetryDecision(
            None,
            f"no retry left within backoff_max_duration ({window:g}s from the first attempt)",
        )
    return RetryDecision(delay)
