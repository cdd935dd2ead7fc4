"""The custom import-linter contract `make lint` runs (tools/import_contracts.py): it finds module circles that
run across two apps, and leaves test modules out."""

import tomllib
from pathlib import Path

import grimp

from tools.import_contracts import AcyclicModulesContract


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_module(importer)
        graph.add_module(imported)
        graph.add_import(importer=importer, imported=imported)
    return graph


def _check(graph: grimp.ImportGraph, ignore: list[str] | None = None):
    options = {"ignore_modules": ignore} if ignore else {}
    return AcyclicModulesContract("circles", {}, options).check(graph, verbose=False)


def test_a_circle_between_modules_of_two_packages_breaks_the_contract_and_is_named():
    graph = _graph(("evfleet.api", "accounts.scoping"), ("accounts.scoping", "accounts.models"),
                   ("accounts.models", "evfleet.api"), ("evfleet.api", "evfleet.env"))  # fmt: skip
    check = _check(graph)
    assert not check.kept
    assert check.metadata["circles"] == [("accounts.models", "evfleet.api", "accounts.scoping")]


def test_imports_in_one_direction_keep_it():
    graph = _graph(("charging.services", "stations.services"), ("stations.services", "stations.models"),
                   ("charging.services", "stations.models"))  # fmt: skip
    assert _check(graph).kept


def test_a_circle_through_a_test_module_is_left_out():
    graph = _graph(("stations.services", "charging.tests.factories"), ("charging.tests.factories", "stations.services"))
    assert not _check(graph).kept
    assert _check(graph, ignore=["*.tests", "*.tests.*"]).kept


def test_the_linter_reads_each_app_once_and_every_layer_is_one_of_them():
    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["tool"]["importlinter"]
    roots = config["root_packages"]
    assert len(roots) == len(set(roots)), sorted({r for r in roots if roots.count(r) > 1})
    [layers] = [c for c in config["contracts"] if c["id"] == "layers"]
    in_layers = {name.strip() for layer in layers["layers"] for name in layer.split(":")}
    assert in_layers <= set(roots)
