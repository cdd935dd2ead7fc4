"""Compare the OpenAPI schema of this checkout with the one of an earlier commit: `python tools/schema_diff.py
<commit>` (e.g. the commit before a refactoring). Prints "same" and exits 0 when they are equal as data, else lists
the paths and components that differ and exits 1. The earlier commit is checked out into a temporary git worktree
and its schema generated there with this Python (`manage.py spectacular`); the worktree is removed afterwards.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def schema(checkout: Path) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".yaml") as out:
        subprocess.run([sys.executable, "manage.py", "spectacular", "--file", out.name], cwd=checkout, check=True,
                       capture_output=True)  # fmt: skip
        return yaml.safe_load(Path(out.name).read_text())


def differences(old: dict, new: dict) -> list[str]:
    found = []
    for section, label in (("paths", "path"), ("components", "component")):
        before, after = old.get(section, {}), new.get(section, {})
        if section == "components":  # schemas, securitySchemes, ...: one level down
            before = {f"{k}/{n}": v for k, group in before.items() for n, v in group.items()}
            after = {f"{k}/{n}": v for k, group in after.items() for n, v in group.items()}
        found += [f"{label} only before: {key}" for key in sorted(before.keys() - after.keys())]
        found += [f"{label} only now: {key}" for key in sorted(after.keys() - before.keys())]
        found += [
            f"{label} changed: {key}" for key in sorted(before.keys() & after.keys()) if before[key] != after[key]
        ]
    rest = {k for k in old.keys() | new.keys() if k not in ("paths", "components") and old.get(k) != new.get(k)}
    return found + [f"changed: {key}" for key in sorted(rest)]


def main(commit: str) -> int:
    with tempfile.TemporaryDirectory() as directory:
        checkout = Path(directory) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(checkout), commit], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            old = schema(checkout)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, check=True)
    found = differences(old, schema(ROOT))
    print("\n".join(found) if found else "same")
    return 1 if found else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
