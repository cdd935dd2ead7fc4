import pytest

from routing.bench.evrptw import benchmark_dir
from routing.evrptw.check import check
from routing.evrptw.instance import InstanceError, parse, read

BENCHMARKS = benchmark_dir()
SMALL = BENCHMARKS / "small" / "c101C5.txt"


def test_a_published_instance_is_read_with_its_depot_first_and_its_parameters():
    instance = read(SMALL)
    assert instance.name == "c101C5"
    assert instance.nodes[0].kind == "depot" and instance.nodes[0].id == "D0"
    assert len(instance.customers) == 5 and len(instance.stations) == 3
    assert (instance.battery_capacity, instance.load_capacity, instance.recharge_rate) == (77.75, 200.0, 3.47)
    assert instance.distance[0, 0] == 0.0
    assert instance.distance.shape == (9, 9)


def test_every_published_instance_is_read():
    files = sorted(BENCHMARKS.glob("*/*.txt"))
    assert len(files) == 48
    for path in files:
        assert read(path).customers


def test_one_vehicle_per_customer_is_feasible_here_and_the_check_counts_vehicles_and_distance():
    instance = read(SMALL)
    result = check(instance, [[0, c, 0] for c in instance.customers])
    assert result.feasible, result.violations
    assert result.vehicles == 5
    assert result.distance == pytest.approx(sum(2 * instance.distance[0, c] for c in instance.customers))


def test_the_check_finds_each_kind_of_violation():
    instance = read(SMALL)
    customers = instance.customers
    everything = [[0, *customers, 0]]
    result = check(instance, everything)
    assert not result.feasible
    text = " ".join(result.violations)
    assert "due time" in text and "battery" in text
    tight = parse(SMALL.read_text().replace("/200.0/", "/50.0/"))
    assert any("load 90.0 above the capacity 50.0" in v for v in check(tight, everything).violations)
    missing = check(instance, [[0, c, 0] for c in customers[1:]])
    assert any("served 0 times" in v for v in missing.violations)
    twice = check(instance, [[0, customers[0], 0]] + [[0, c, 0] for c in customers])
    assert any("served 2 times" in v for v in twice.violations)
    assert not check(instance, [[customers[0], 0]]).feasible


def test_the_battery_must_last_and_a_station_recharges_it():
    text = SMALL.read_text().replace("/77.75/", "/40.0/")
    instance = parse(text, name="short-range")
    far = max(instance.customers, key=lambda c: instance.distance[0, c])
    assert not check(instance, [[0, far, 0]]).feasible
    assert any("battery" in v for v in check(instance, [[0, far, 0]]).violations)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda t: t.replace("StringID", "Id", 1), "line 1"),
        (lambda t: t.replace("C Vehicle load capacity /200.0/\n", ""), "parameters"),
        (lambda t: t.replace("C30        c          20.0", "C30        x          20.0"), "Type"),
        (lambda t: t.replace("355.0", "abc", 1), "ReadyTime"),
        (lambda t: t.replace("D0         d", "D0         f"), "nodes"),
    ],
)
def test_an_instance_with_a_missing_or_bad_field_names_it(edit, field):
    with pytest.raises(InstanceError) as error:
        parse(edit(SMALL.read_text()))
    assert field in error.value.field
