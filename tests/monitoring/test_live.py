"""Live metrics of one process (counts, latency quantiles, samples, Prometheus) and health
policies (checked input, verdicts)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyarrow as pa
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lakeworks.errors import InvalidInputError
from lakeworks.monitoring.health import HealthPolicy, SlotStats, judge, seconds_of
from lakeworks.monitoring.live import BOUNDS, Counts, LiveMetrics

KEY = ("ws", "churn", "live", "churn/1")


def test_counts_give_quantiles_within_one_bucket() -> None:
    live = LiveMetrics(sample_rows=10)
    for ms in range(1, 101):  # 1..100 ms
        live.observe(KEY, ms / 1000, error=ms > 90)
    [(key, counts)] = live.take()
    assert (key, counts.requests, counts.errors) == (KEY, 100, 10)
    p50, p99 = counts.quantile(0.5), counts.quantile(0.99)
    assert 0.050 <= p50 <= 0.050 * 1.5  # a bucket's upper bound: at most 50% over
    assert 0.099 <= p99 <= 0.099 * 1.5
    assert live.take() == []  # taken: pending starts afresh
    assert live.totals()[0][1].requests == 100  # the totals keep counting


def test_slower_than_the_last_bound_is_counted() -> None:
    counts = Counts()
    counts.buckets[-1] = 3
    assert counts.quantile(0.99) == BOUNDS[-1]
    assert Counts().quantile(0.5) is None


def test_observe_is_thread_safe() -> None:
    live = LiveMetrics(sample_rows=0)

    def hammer() -> None:
        for _ in range(5000):
            live.observe(KEY, 0.001, error=False)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert live.take()[0][1].requests == 20_000


def test_restore_puts_taken_counts_back() -> None:
    live = LiveMetrics(sample_rows=0)
    live.observe(KEY, 0.001, error=True)
    taken = live.take()
    live.observe(KEY, 0.001, error=False)
    live.restore(taken)
    [(_, counts)] = live.take()
    assert (counts.requests, counts.errors) == (2, 1)


def test_input_samples_are_bounded_and_by_model() -> None:
    live = LiveMetrics(sample_rows=5)
    for i in range(4):
        live.observe(KEY, 0.001, error=False, inputs=pa.table({"x": [i, i]}))
    found = live.inputs("ws", "churn", "churn/1", since_ms=0)
    assert found is not None and 5 <= found.num_rows <= 6  # the oldest parts dropped
    assert found.column("x").to_pylist()[-2:] == [3, 3]
    assert live.inputs("ws", "churn", "churn/2", since_ms=0) is None
    live.forget("ws", "churn")
    assert live.inputs("ws", "churn", "churn/1", since_ms=0) is None and live.totals() == []


def test_prometheus_exposition_per_slot() -> None:
    live = LiveMetrics(sample_rows=0)
    live.observe(KEY, 0.002, error=False)
    live.observe(KEY, 0.004, error=True)
    families = {f.name: f for f in text_string_to_metric_families(live.render().decode())}
    requests = families["lakeworks_serving_requests"].samples[0]
    assert requests.labels == dict(
        zip(["workspace", "endpoint", "slot", "model"], KEY, strict=True)
    )
    assert requests.value == 2
    assert families["lakeworks_serving_errors"].samples[0].value == 1
    counts = [s for s in families["lakeworks_serving_latency_seconds"].samples]
    assert [s.value for s in counts if s.labels.get("le") == "+Inf"] == [2]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("10m", 600.0), ("1h", 3600.0), ("250ms", 0.25)],
)
def test_durations(value: object, seconds: float) -> None:
    assert seconds_of(value, "window") == seconds
    assert seconds_of(timedelta(minutes=2), "window") == 120


@pytest.mark.parametrize("value", ["soon", "-5m", 0, True, float("nan")])
def test_bad_durations_are_refused(value: object) -> None:
    with pytest.raises(InvalidInputError, match="window must be a"):
        seconds_of(value, "window")


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"error_rte": 0.1}, "unknown health policy setting"),
        ({"error_rate": 1.5}, "error_rate must be a number in 0..1"),
        ({"error_rate": "high"}, "error_rate must be a number"),
        ({"p99_ms": -1}, "p99_ms must be a number in >= 0"),
        ({"drift": True}, "drift must be a number"),
        ({"window": "forever"}, "window must be a duration"),
        ({"min_requests": 0}, "min_requests must be a number"),
        ({"webhook": 5}, "webhook must be text"),
        ({"min_agreement": 1.2}, "min_agreement must be a number in 0..1"),
    ],
)
def test_bad_policies_are_refused_naming_the_setting(policy: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        HealthPolicy.from_dict(policy)


def test_a_policy_round_trips() -> None:
    policy = HealthPolicy.from_dict({"error_rate": 0.05, "p99_ms": 200, "window": "5m"})
    assert policy.window == 300 and HealthPolicy.from_dict(policy.to_dict()) == policy


def test_judge_needs_enough_requests_then_names_the_breach() -> None:
    policy = HealthPolicy.from_dict({"error_rate": 0.1, "p99_ms": 50, "min_requests": 10})
    assert judge(policy, SlotStats("m/2", requests=9, errors=9, seconds=10)) is None
    errors = judge(policy, SlotStats("m/2", requests=10, errors=2, seconds=10))
    assert errors is not None and (errors.policy, errors.observed) == ("error_rate", 0.2)
    assert "m/2: error_rate 0.2" in errors.reason and "threshold 0.1" in errors.reason
    slow = judge(policy, SlotStats("m/2", requests=10, seconds=10, p99_ms=80.0))
    assert slow is not None and slow.policy == "p99_ms"
    assert judge(policy, SlotStats("m/2", requests=10, seconds=10, p99_ms=20.0)) is None


def test_judge_drift_and_metric_drop() -> None:
    policy = HealthPolicy.from_dict({"drift": 0.5, "metric_drop": 0.1, "min_requests": 5})
    stats = SlotStats("m/2", requests=50, seconds=10, label_n=20, label_mean=0.6)
    assert judge(policy, stats, drift=0.5).policy == "drift"
    assert judge(policy, stats, drift=0.25) is None  # no baseline: no metric judged
    better = SlotStats("m/1", requests=50, seconds=10, label_n=20, label_mean=0.65)
    assert judge(policy, stats, baseline=better) is None  # dropped 0.05: within
    best = SlotStats("m/1", requests=50, seconds=10, label_n=20, label_mean=0.9)
    dropped = judge(policy, stats, baseline=best)
    assert dropped is not None and dropped.policy == "metric_drop"
    assert dropped.observed == pytest.approx(0.3)


def test_judge_a_named_live_metric_against_the_baseline() -> None:
    policy = HealthPolicy.from_dict({"metric": "auc", "metric_drop": 0.05, "min_requests": 5})
    # the mean outcome (accuracy) held; the AUC the policy names fell 0.2
    stats = SlotStats("m/2", requests=50, seconds=10, label_n=20, label_mean=0.9, metric=0.7,
                      metric_n=20)  # fmt: skip
    base = SlotStats("m/1", requests=50, seconds=10, label_n=20, label_mean=0.9, metric=0.9,
                     metric_n=20)  # fmt: skip
    dropped = judge(policy, stats, baseline=base)
    assert dropped is not None and dropped.policy == "metric_drop"
    assert dropped.observed == pytest.approx(0.2) and "(auc vs m/1)" in dropped.reason
    few = SlotStats("m/1", requests=50, seconds=10, metric=0.9, metric_n=4)
    assert judge(policy, stats, baseline=few) is None  # 4 labelled rows: not judged yet
    unknown = SlotStats("m/2", requests=50, seconds=10, metric=None, metric_n=0)
    assert judge(policy, unknown, baseline=base) is None  # no AUC yet (one class labelled)
    # rmse is worse when higher: a rise is the drop
    errors = HealthPolicy.from_dict({"metric": "rmse", "metric_drop": 1.0, "min_requests": 5})
    worse = SlotStats("m/2", requests=50, seconds=10, metric=4.0, metric_n=20)
    better = SlotStats("m/2", requests=50, seconds=10, metric=1.0, metric_n=20)
    live = SlotStats("m/1", requests=50, seconds=10, metric=2.5, metric_n=20)
    assert judge(errors, worse, baseline=live).observed == pytest.approx(1.5)
    assert judge(errors, better, baseline=live) is None


def test_a_named_metric_is_checked() -> None:
    with pytest.raises(InvalidInputError) as unknown:
        HealthPolicy.from_dict({"metric": "f1", "metric_drop": 0.1})
    assert "'f1'" in str(unknown.value) and "auc" in unknown.value.hint
    with pytest.raises(InvalidInputError) as alone:
        HealthPolicy.from_dict({"metric": "auc"})
    assert "metric_drop" in str(alone.value)
    old = HealthPolicy.from_dict({"metric_drop": 0.1})  # a policy written before: still valid
    assert old.metric is None and not old.watches_metric
    kept = HealthPolicy.from_dict({"metric": "auc", "metric_drop": 0.1})
    assert HealthPolicy.from_dict(kept.to_dict()) == kept


@pytest.mark.parametrize(
    ("policy", "message", "expected", "found"),
    [
        ({"min_metric": 0.7}, "min_metric bounds the live metric that metric names",
         "metric", "min_metric alone"),
        ({"max_metric": 2.0}, "max_metric bounds the live metric that metric names",
         "metric", "max_metric alone"),
        ({"metric": "rmse", "min_metric": 0.7}, "min_metric does not fit metric 'rmse'",
         "max_metric", "min_metric"),
        ({"metric": "auc", "max_metric": 0.3}, "max_metric does not fit metric 'auc'",
         "min_metric", "max_metric"),
        ({"metric": "auc", "min_metric": 1.5}, "min_metric must be a number in 0..1",
         "0..1", "1.5"),
        ({"metric": "mae", "max_metric": -2}, "max_metric must be a number in >= 0",
         ">= 0", "-2"),
        ({"metric": "accuracy", "min_metric": "high"}, "min_metric must be a number",
         "0..1", "'high'"),
        ({"metric": "mae"}, "judged by metric_drop or max_metric, both missing",
         "metric_drop or max_metric", "metric alone"),
    ],
)  # fmt: skip
def test_bad_metric_bounds_are_refused(
    policy: dict, message: str, expected: str, found: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as refused:
        HealthPolicy.from_dict(policy)
    assert refused.value.fields["expected"] == expected
    assert refused.value.fields["found"] == found


def test_judge_a_named_metric_against_its_absolute_bound() -> None:
    floor = HealthPolicy.from_dict({"metric": "auc", "min_metric": 0.7, "min_requests": 5})
    assert floor.watches_metric and floor.metric_drop is None
    low = SlotStats("m/2", requests=50, seconds=10, metric=0.55, metric_n=20)
    breached = judge(floor, low)  # no baseline: a blue-green switch has none
    assert breached is not None and breached.policy == "min_metric"
    assert (breached.threshold, breached.observed, breached.model) == (0.7, 0.55, "m/2")
    assert breached.reason == (
        "m/2: min_metric 0.55 over the last 10 s breached the threshold 0.7 "
        "(auc over 20 labelled rows)"
    )
    assert judge(floor, SlotStats("m/2", requests=50, seconds=10, metric=0.7, metric_n=20)) is None
    assert judge(floor, SlotStats("m/2", requests=50, seconds=10, metric=0.5, metric_n=4)) is None
    assert judge(floor, SlotStats("m/2", requests=50, seconds=10)) is None  # no labels yet
    ceiling = HealthPolicy.from_dict({"metric": "rmse", "max_metric": 2.0, "min_requests": 5})
    worse = judge(ceiling, SlotStats("m/2", requests=50, seconds=10, metric=3.0, metric_n=20))
    assert worse is not None and worse.policy == "max_metric" and worse.observed == 3.0
    assert (
        judge(ceiling, SlotStats("m/2", requests=50, seconds=10, metric=1.0, metric_n=20)) is None
    )
    both = HealthPolicy.from_dict(
        {"metric": "auc", "metric_drop": 0.5, "min_metric": 0.7, "min_requests": 5}
    )
    base = SlotStats("m/1", requests=50, seconds=10, metric=0.8, metric_n=20)
    kept_drop = judge(both, low, baseline=base)  # within the drop, below the floor
    assert kept_drop is not None and kept_drop.policy == "min_metric"
    assert HealthPolicy.from_dict(both.to_dict()) == both


def test_judge_a_shadows_agreement_once_enough_rows_were_compared() -> None:
    policy = HealthPolicy.from_dict({"min_agreement": 0.9, "min_requests": 10})
    few = SlotStats("m/2", requests=10, seconds=10, compared=9, equal=0)
    assert judge(policy, few) is None  # 9 rows compared: not enough to judge
    agreeing = SlotStats("m/2", requests=10, seconds=10, compared=20, equal=19)
    assert agreeing.agreement == 0.95 and judge(policy, agreeing) is None
    apart = SlotStats("m/2", requests=10, seconds=10, compared=20, equal=12)
    breach = judge(policy, apart)
    assert breach is not None and (breach.policy, breach.observed) == ("min_agreement", 0.6)
    assert "of 20 answer rows equal to the live ones" in breach.reason
    assert SlotStats("m/1", requests=3).to_dict()["agreement"] is None  # never compared


def test_a_shadows_comparisons_are_counted_taken_and_exported() -> None:
    live = LiveMetrics(sample_rows=0)
    shadow = ("ws", "churn", "candidate", "churn/2")
    live.observe(shadow, 0.001, error=False, compared=3, equal=2)
    live.observe(shadow, 0.001, error=True, compared=1, equal=0)
    [(_, counts)] = live.take()
    assert (counts.requests, counts.errors, counts.compared, counts.equal) == (2, 1, 4, 2)
    live.observe(shadow, 0.001, error=False, compared=2, equal=2)
    [(_, since)] = live.take()
    assert (since.compared, since.equal) == (2, 2)  # only what came after the last take
    families = {f.name: f for f in text_string_to_metric_families(live.render().decode())}
    assert families["lakeworks_serving_shadow_compared"].samples[0].value == 6
    assert families["lakeworks_serving_shadow_equal"].samples[0].value == 4
