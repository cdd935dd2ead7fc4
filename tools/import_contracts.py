"""An import-linter contract import-linter lacks: no import circle between any two modules.

`acyclic_siblings` finds circles between the sibling packages of one ancestor; a circle can also run between
modules of two apps of one layer (evfleet and accounts), which no built-in contract sees. This one takes the
whole graph (imports inside functions included), leaves out the modules matching `ignore_modules` (tests), and
reports every strongly connected component with more than one module, with one circle through it.
"""

from fnmatch import fnmatchcase

from importlinter import Contract, ContractCheck, fields, output


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    ignore_modules = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph, verbose: bool) -> ContractCheck:
        patterns = list(self.ignore_modules or [])  # type: ignore[arg-type]
        modules = {m for m in graph.modules if not any(fnmatchcase(m, p) for p in patterns)}
        edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
        circles = []
        for component in _components(edges):
            if len(component) > 1:
                circles.append(_circle(sorted(component), edges))
        return ContractCheck(kept=not circles, warnings=[], metadata={"circles": sorted(circles)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            output.print_error("Import circle: " + " -> ".join([*circle, circle[0]]))
            output.new_line()


def _components(edges: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (the graph has hundreds of modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _circle(component: list[str], edges: dict[str, list[str]]) -> tuple[str, ...]:
    """One circle through the component's first module (a breadth-first path back to it)."""
    start = component[0]
    members = set(component)
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in edges[node]:
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return tuple(reversed(path))
            if child not in previous:
                previous[child] = node
                queue.append(child)
    return tuple(component)
