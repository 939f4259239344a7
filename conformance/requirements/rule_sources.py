"""Where the oracle applies each rule: rule id -> the reference_stack functions that record it.

Read from the source with `ast`, never by importing or running the oracle: a rule id is a string
literal (``"RFC9293-3.10.7.4-MUST-first-check"``, ``"LINUX-tcp_check_req-syn-reset"``) in the
body of the function that records it. A module-level constant holding an id
(``RULE = "RFC8985-7.3-MAY-tail-loss-probe"``) counts for every function of that module, or of a
module importing it by name, that uses the constant.

    python -m conformance.requirements.rule_sources [RULE_ID...]   # each id, module:function
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REFERENCE_STACK = Path(__file__).resolve().parents[2] / "reference_stack"

# A rule id literal: a standard's requirement (``RFC9293-3.1-MUST-...``,
# ``IEEE802.3-3.1-MUST-...``: a document, an optional section, a level) or a profile refinement
# (``LINUX-tcp_check_req-...``). State names such as "SYN-SENT" or "TIME-WAIT" are not ids: a
# profile prefix is followed by a lower-case kernel (or stack) function name.
RULE_LITERAL = re.compile(
    r"^([A-Z][A-Za-z0-9.]*-(\S+-)?(MUST|SHOULD|MAY)(-NOT)?-\S+"
    r"|[A-Z][A-Z0-9]*-[a-z_][a-z0-9_]*(-\S+)?)$")


@dataclass(frozen=True, order=True)
class Site:
    """One function of the reference stack that records a rule (``module:function``)."""

    module: str  # dotted, e.g. reference_stack.tcp.segment_arrival
    function: str  # qualified inside the module, e.g. TcpLayer.on_timer; "<module>" at top level

    def __str__(self) -> str:
        return f"{self.module}:{self.function}"

    def to_dict(self) -> dict[str, str]:
        return {"module": self.module, "function": self.function}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_rule(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and RULE_LITERAL.match(node.value) is not None)


class _Module:
    """One parsed module: its top-level rule constants and its imports of names."""

    def __init__(self, name: str, tree: ast.Module) -> None:
        self.name = name
        self.tree = tree
        self.constants: dict[str, str] = {}
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        self.modules: dict[str, str] = {}  # local name -> a module imported whole
        for node in ast.walk(tree):  # imports inside functions too (cycle breakers)
            if isinstance(node, ast.ImportFrom) and node.module:
                source = self._absolute(node.module, node.level)
                for alias in node.names:
                    local = alias.asname or alias.name
                    self.imports[local] = (source, alias.name)
                    self.modules[local] = f"{source}.{alias.name}"  # if it is a module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.modules[alias.asname] = alias.name
        for node in tree.body:
            if isinstance(node, ast.Assign) and _is_rule(node.value):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value.value  # type: ignore[union-attr]

    def _absolute(self, module: str, level: int) -> str:
        if level == 0:
            return module
        base = self.name.split(".")[:-level]
        return ".".join([*base, module])


def _walk_functions(node: ast.AST, prefix: str):
    """(qualified name, function node) for every function, nested ones included."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = f"{prefix}{child.name}"
            yield name, child
            yield from _walk_functions(child, f"{name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _walk_functions(child, f"{prefix}{child.name}.")
        else:
            yield from _walk_functions(child, prefix)


def _own_nodes(function: ast.AST):
    """The nodes of a function's body, without those of functions defined inside it."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if isinstance(node, ast.Lambda):
                stack.extend(ast.iter_child_nodes(node))
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _data_literals(tree: ast.Module):
    """(rule, where) for each rule literal in a top-level assignment that is not a plain
    constant: where names the assignment and the keywords leading to the literal, e.g.
    ``TABLE.close`` for ``TABLE = StateTable(close=Arm(..., "RFC9293-3.10.4-MUST-..."))``."""
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or _is_rule(node.value):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if names and node.value is not None:
            yield from _keyword_paths(node.value, names[0])


def _keyword_paths(node: ast.AST, path: str):
    if _is_rule(node):
        yield node.value, path  # type: ignore[attr-defined]
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.keyword):
            yield from _keyword_paths(child.value, f"{path}.{child.arg}")
        else:
            yield from _keyword_paths(child, path)


def _parse(root: Path) -> dict[str, _Module]:
    modules = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        modules[name] = _Module(name, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return modules


def index(root: Path = REFERENCE_STACK) -> dict[str, tuple[Site, ...]]:
    """Every rule id recorded in the source under ``root``, with the functions recording it."""
    modules = _parse(root)
    sites: dict[str, set[Site]] = defaultdict(set)

    def constant(module: _Module, node: ast.AST) -> str | None:
        """The rule a name (``RULE``) or a module attribute (``auth_options.RULE``) holds."""
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in module.constants:
                return module.constants[node.id]
            source = module.imports.get(node.id)
            if source and source[0] in modules:
                return modules[source[0]].constants.get(source[1])
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            other = modules.get(module.modules.get(node.value.id, ""))
            if other is not None:
                return other.constants.get(node.attr)
        return None

    for module in modules.values():
        for qualname, function in _walk_functions(module.tree, ""):
            site = Site(module.name, qualname)
            for node in _own_nodes(function):
                rule = node.value if _is_rule(node) else constant(module, node)  # type: ignore
                if rule is not None:
                    sites[rule].add(site)
        for rule, where in _data_literals(module.tree):  # rules held as data (state tables)
            sites[rule].add(Site(module.name, where))
    for module in modules.values():  # a constant no function uses: its definition
        for name, rule in module.constants.items():
            if rule not in sites:
                sites[rule].add(Site(module.name, name))
    return {rule: tuple(sorted(found)) for rule, found in sorted(sites.items())}


def literals(root: Path = REFERENCE_STACK) -> dict[str, list[str]]:
    """Every rule-id string literal under ``root`` (docstrings and comments excluded), with the
    files and lines it appears on: the static vocabulary check reads this."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                           ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if _is_rule(node) and id(node) not in docstrings:
                found[node.value].append(  # type: ignore[attr-defined]
                    f"{path.relative_to(root.parent)}:{node.lineno}")
    return dict(found)


def main(argv: list[str] | None = None) -> int:
    wanted = set(argv if argv is not None else sys.argv[1:])
    for rule, found in index().items():
        if not wanted or rule in wanted:
            print(rule, " ".join(str(site) for site in found) or "(no function)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
