"""A small Prometheus text-exposition registry: counters, gauges, histograms.

No labels carry personal data: channel names, outcomes and reasons only.
"""

from __future__ import annotations

import bisect
from collections.abc import Awaitable, Callable

LabelKey = tuple[tuple[str, str], ...]
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


_keys: dict[tuple[tuple[str, str], ...], LabelKey] = {}


def _key(labels: dict[str, str]) -> LabelKey:
    """Labels in name order (one series whatever order a caller names them in),
    remembered: every message counts a few, always with the same few labels."""
    given = tuple(labels.items())
    key = _keys.get(given)
    if key is None:
        key = _keys[given] = tuple(sorted(given))
    return key


def _labels(key: LabelKey) -> str:
    if not key:
        return ""
    inner = ",".join(f'{k}="{v}"' for k, v in key)
    return "{" + inner + "}"


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self.values: dict[LabelKey, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = _key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def get(self, **labels: str) -> float:
        return self.values.get(_key(labels), 0.0)

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [f"{self.name}{_labels(k)} {v:g}" for k, v in sorted(self.values.items())]
        return lines


class Histogram:
    def __init__(self, name: str, help_text: str,
                 buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.counts: dict[LabelKey, list[int]] = {}
        self.sums: dict[LabelKey, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = _key(labels)
        counts = self.counts.setdefault(key, [0] * (len(self.buckets) + 1))
        counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sums[key] = self.sums.get(key, 0.0) + value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, counts in sorted(self.counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, float("inf")), counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{self.name}_bucket{_labels((*key, ('le', le)))} {running}")
            lines.append(f"{self.name}_sum{_labels(key)} {self.sums[key]:g}")
            lines.append(f"{self.name}_count{_labels(key)} {running}")
        return lines


class Metrics:
    """Everything Sauti counts, rendered for ``GET /metrics``."""

    def __init__(self) -> None:
        self.inbound = Counter("sauti_inbound_total", "Inbound messages by channel and outcome")
        self.outbound = Counter("sauti_outbound_total", "Outbound sends by channel and result")
        self.send_errors = Counter("sauti_send_errors_total", "Failed send attempts by reason")
        self.segments = Counter("sauti_sms_segments_total", "SMS segments sent by channel")
        self.handling = Histogram("sauti_inbound_handling_seconds",
                                  "Time to handle an inbound message durably")
        self.send_latency = Histogram("sauti_send_seconds", "Time of one send call")
        self._gauges: dict[str, tuple[str, Callable[[], Awaitable[float]]]] = {}
        self._labelled: dict[str, tuple[str, str, Callable[[], dict[str, float]]]] = {}

    def gauge(self, name: str, help_text: str, read: Callable[[], Awaitable[float]]) -> None:
        self._gauges[name] = (help_text, read)

    def labelled_gauge(self, name: str, help_text: str, label: str,
                       read: Callable[[], dict[str, float]]) -> None:
        """A gauge with one series per value of ``label``, read when rendered."""
        self._labelled[name] = (help_text, label, read)

    async def render(self) -> str:
        lines: list[str] = []
        for metric in (self.inbound, self.outbound, self.send_errors, self.segments):
            lines += metric.render()
        for hist in (self.handling, self.send_latency):
            lines += hist.render()
        for name, (help_text, read) in sorted(self._gauges.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge",
                      f"{name} {await read():g}"]
        for name, (help_text, label, series) in sorted(self._labelled.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            lines += [f"{name}{_labels(((label, value),))} {number:g}"
                      for value, number in sorted(series().items())]
        return "\n".join(lines) + "\n"
