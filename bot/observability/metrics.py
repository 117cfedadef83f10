"""Everything Sauti counts, exposed in the Prometheus text format by prometheus_client.

No labels carry personal data: channel names, outcomes and reasons only. Each
:class:`Metrics` has its own ``CollectorRegistry`` (tests build many Apps in one
process); the series are those Sauti exposed before it used prometheus_client.

Several worker processes: give every worker ``PROMETHEUS_MULTIPROC_DIR`` (an
empty directory, emptied again whenever the workers restart) in the environment
it starts with. prometheus_client decides when it is imported whether values
live in memory or in files there, so setting it later is refused. ``render()``
then sums the counters and histograms of all workers from those files. The
gauges read when scraped are not in the files: the worker answering the scrape
reads them, so ``sauti_outbox_depth`` is the shared store's (the same from any
worker) but ``sauti_channel_up`` and ``sauti_store_up`` are only that worker's
view of its channels and of the store (its outbox's claims and marks).
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, TypeVar

import prometheus_client as prom
from prometheus_client import values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.samples import Sample

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# prometheus_client writes every value as a float ("3.0"); Sauti always wrote
# whole numbers as "3", and scrapers' tests compare lines.
_WHOLE = re.compile(r"^([^#].* -?\d+)\.0$", re.MULTILINE)


LabelKey = tuple[tuple[str, str], ...]
M = TypeVar("M", bound=MetricWrapperBase)


class _Labelled(Generic[M]):
    """A prometheus_client metric whose series a caller names by keyword."""

    def __init__(self, name: str, metric: M) -> None:
        self.name = name
        self._metric = metric
        # Each series' child, remembered: labels() validates and converts its
        # arguments on every call (measured in docs/performance.md, "Label keys remembered").
        self._children: dict[LabelKey, M] = {}

    def _child(self, labels: dict[str, str]) -> M:
        key = tuple(labels.items())
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._metric.labels(**labels)
        return child


class Counter(_Labelled[prom.Counter]):
    """A counter with named labels: ``inc(channel="sms", result="sent")``."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...],
                 registry: prom.CollectorRegistry) -> None:
        # ``name`` keeps its "_total": prometheus_client strips it from the
        # family's name and gives it back to the series, as Sauti named them.
        super().__init__(name, prom.Counter(name, help_text, labels, registry=registry))

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self._child(labels).inc(amount)

    def get(self, **labels: str) -> float:
        """One series' count (0 if never counted), without creating the series."""
        for family in self._metric.collect():
            for sample in family.samples:
                if sample.name == self.name and sample.labels == labels:
                    return sample.value
        return 0.0


class Histogram(_Labelled[prom.Histogram]):
    """A histogram with named labels: ``observe(0.2, channel="sms")``."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...],
                 registry: prom.CollectorRegistry,
                 buckets: tuple[float, ...] = DEFAULT_BUCKETS) -> None:
        super().__init__(name, prom.Histogram(name, help_text, labels, registry=registry,
                                              buckets=buckets))

    def observe(self, value: float, **labels: str) -> None:
        self._child(labels).observe(value)


class _LiveGauges:
    """The gauges read when scraped, as ``render()`` last read them (collectors
    are synchronous; the readings are not)."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


class _WithoutCreated:
    """A registry's metrics without the ``*_created`` series (start times)
    prometheus_client adds to counters and histograms: Sauti never exposed them."""

    def __init__(self, registry: prom.CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for family in self._registry.collect():
            kept = [s for s in family.samples if not s.name.endswith("_created")]
            if len(kept) < len(family.samples):
                family = _with_samples(family, kept)
            yield family


def _with_samples(family: Metric, samples: list[Sample]) -> Metric:
    copy = Metric(family.name, family.documentation, family.type, family.unit)
    copy.samples = samples
    return copy


class Metrics:
    """Everything Sauti counts, rendered for ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.inbound = Counter("sauti_inbound_total", "Inbound messages by channel and outcome",
                               ("channel", "outcome"), r)
        self.outbound = Counter("sauti_outbound_total", "Outbound sends by channel and result",
                                ("channel", "result"), r)
        self.send_errors = Counter("sauti_send_errors_total", "Failed send attempts by reason",
                                   ("channel", "reason"), r)
        self.segments = Counter("sauti_sms_segments_total", "SMS segments sent by channel",
                                ("channel",), r)
        self.handling = Histogram("sauti_inbound_handling_seconds",
                                  "Time to handle an inbound message durably", ("channel",), r)
        self.send_latency = Histogram("sauti_send_seconds", "Time of one send call",
                                      ("channel",), r)
        self._gauges: dict[str, tuple[str, Callable[[], Awaitable[float]]]] = {}
        self._labelled: dict[str, tuple[str, str, Callable[[], dict[str, float]]]] = {}
        self._live = _LiveGauges()
        r.register(self._live)
        self._exposed = self._exposition()

    def _exposition(self) -> prom.CollectorRegistry:
        """What a scrape shows: this process's registry, or in multiprocess mode
        every worker's files plus the gauges this process reads."""
        exposed = prom.CollectorRegistry()
        directory = os.environ.get(MULTIPROC_DIR)
        if not directory:
            exposed.register(_WithoutCreated(self.registry))
            return exposed
        if not getattr(values.ValueClass, "_multiprocess", False):
            raise RuntimeError(f"{MULTIPROC_DIR} was set after prometheus_client was imported; "
                               "set it in the environment the process starts with")
        MultiProcessCollector(exposed, path=directory)  # type: ignore[no-untyped-call]
        exposed.register(self._live)
        return exposed

    def gauge(self, name: str, help_text: str, read: Callable[[], Awaitable[float]]) -> None:
        self._gauges[name] = (help_text, read)

    def labelled_gauge(self, name: str, help_text: str, label: str,
                       read: Callable[[], dict[str, float]]) -> None:
        """A gauge with one series per value of ``label``, read when rendered."""
        self._labelled[name] = (help_text, label, read)

    async def render(self) -> str:
        """The text exposition; the gauges are read first, without blocking the loop."""
        families: list[Metric] = []
        for name, (help_text, read) in sorted(self._gauges.items()):
            families.append(GaugeMetricFamily(name, help_text, value=await read()))
        for name, (help_text, label, series) in sorted(self._labelled.items()):
            family = GaugeMetricFamily(name, help_text, labels=[label])
            for value, number in sorted(series().items()):
                family.add_metric([value], number)
            families.append(family)
        self._live.families = families
        return _WHOLE.sub(r"\1", prom.generate_latest(self._exposed).decode())
