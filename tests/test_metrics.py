"""bot/web/metrics.py: the series Sauti exposes, escaped label values, and one
scrape that sums several worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import values
from prometheus_client.parser import text_string_to_metric_families

from bot.observability.metrics import MULTIPROC_DIR, Metrics


async def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    awkward = 'say "hi"\\now\nand then'
    metrics.send_errors.inc(channel="sms", reason=awkward)
    text = await metrics.render()
    assert 'sauti_send_errors_total{channel="sms",reason="say \\"hi\\"\\\\now\\nand then"} 1' \
        in text.splitlines()
    parsed = {s.labels["reason"]: s.value for family in text_string_to_metric_families(text)
              for s in family.samples if s.name == "sauti_send_errors_total"}
    assert parsed == {awkward: 1.0}


async def test_the_series_are_those_sauti_always_exposed() -> None:
    metrics = Metrics()

    async def depth() -> float:
        return 4

    metrics.gauge("sauti_outbox_depth", "Messages waiting to be sent", depth)
    metrics.labelled_gauge("sauti_channel_up", "1 while a channel can send", "channel",
                           lambda: {"sms": 1.0, "telegram": 0.0})
    for metric in (metrics.inbound, metrics.outbound, metrics.send_errors):
        metric.inc(channel="sms", **{"outcome" if metric is metrics.inbound else
                                     "result" if metric is metrics.outbound else "reason": "x"})
    metrics.segments.inc(3, channel="sms")
    metrics.handling.observe(0.2, channel="sms")
    metrics.send_latency.observe(0.02, channel="sms")
    lines = (await metrics.render()).splitlines()
    types = [line.split()[2:] for line in lines if line.startswith("# TYPE")]
    assert types == [["sauti_inbound_total", "counter"], ["sauti_outbound_total", "counter"],
                     ["sauti_send_errors_total", "counter"],
                     ["sauti_sms_segments_total", "counter"],
                     ["sauti_inbound_handling_seconds", "histogram"],
                     ["sauti_send_seconds", "histogram"], ["sauti_outbox_depth", "gauge"],
                     ["sauti_channel_up", "gauge"]]
    assert not [line for line in lines if "_created" in line]
    assert 'sauti_sms_segments_total{channel="sms"} 3' in lines
    assert 'sauti_inbound_handling_seconds_count{channel="sms"} 1' in lines
    assert 'sauti_send_seconds_bucket{channel="sms",le="0.025"} 1' in lines
    assert "sauti_outbox_depth 4" in lines
    assert 'sauti_channel_up{channel="telegram"} 0' in lines
    assert "# HELP sauti_outbox_depth Messages waiting to be sent" in lines


def test_get_reads_one_series_without_creating_it() -> None:
    metrics = Metrics()
    metrics.outbound.inc(channel="sms", result="sent")
    metrics.outbound.inc(2, result="sent", channel="sms")
    assert metrics.outbound.get(channel="sms", result="sent") == 3
    assert metrics.outbound.get(channel="sms", result="failed") == 0
    assert metrics.outbound.get(result="sent", channel="sms") == 3


def test_each_metrics_counts_on_its_own() -> None:
    one, two = Metrics(), Metrics()
    one.inbound.inc(channel="sms", outcome="handled")
    assert two.inbound.get(channel="sms", outcome="handled") == 0


def test_multiprocess_dir_set_after_import_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path))
    with pytest.raises(RuntimeError, match=MULTIPROC_DIR):
        Metrics()


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def test_one_scrape_sums_every_worker(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers write their own files in one directory; a third answers the
    scrape with their sums and its own live gauge. Each worker is simulated in
    this process by the value class prometheus_client picks when it is imported
    with the variable set, each with its own process id."""
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path))
    value_classes = []

    def as_worker(pid: int) -> Metrics:
        value_class = values.MultiProcessValue(lambda: pid)
        value_classes.append(value_class)
        monkeypatch.setattr(values, "ValueClass", value_class)
        return Metrics()

    try:
        for pid, count in ((101, 1), (102, 2)):
            worker = as_worker(pid)
            worker.inbound.inc(count, channel="sms", outcome="handled")
            worker.handling.observe(0.2, channel="sms")
        scraper = as_worker(103)

        async def depth() -> float:
            return 7

        scraper.gauge("sauti_outbox_depth", "Messages waiting to be sent", depth)
        lines = (await scraper.render()).splitlines()
    finally:
        for value_class in value_classes:
            value_class.close_all_files()
    assert _names(tmp_path) == [
        "counter_101.db", "counter_102.db", "histogram_101.db", "histogram_102.db"]
    assert 'sauti_inbound_total{channel="sms",outcome="handled"} 3' in lines
    assert 'sauti_inbound_handling_seconds_count{channel="sms"} 2' in lines
    assert 'sauti_inbound_handling_seconds_bucket{channel="sms",le="0.25"} 2' in lines
    assert "# TYPE sauti_inbound_total counter" in lines
    assert "sauti_outbox_depth 7" in lines
