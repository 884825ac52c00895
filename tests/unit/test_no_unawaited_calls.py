"""A coroutine function called without `await` does nothing: a permission check written
`ensure_reader(principal, row)` instead of `await ensure_reader(…)` lets everyone through
(it happened once). This reads the source and fails on such a call used as a statement, as a
condition or in an assert, for every async function the project defines (names also defined
as plain functions are left out: the call could be either)."""

import ast
import asyncio
from pathlib import Path

import vendorgov

SOURCE = Path(vendorgov.__file__).parent
# Method names that plain objects have too (dict.get, set.update, Task.cancel, Image.save…):
# a call by one of these names is not necessarily the project's coroutine.
SHARED_NAMES = {
    name
    for kind in (dict, set, list, str, asyncio.Task, asyncio.Lock, asyncio.Runner)
    for name in dir(kind)
} | {"save", "remove"}


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SOURCE.rglob("*.py"))]


def _called_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _bare_calls(tree: ast.Module):
    """Calls whose value is used as it comes: statements, conditions, asserts, `not x()`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr):
            yield node.value
        elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield node.test
        elif isinstance(node, ast.Assert):
            yield node.test
        elif isinstance(node, ast.BoolOp):
            yield from node.values
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node.operand


def unawaited(trees: list[tuple[Path, ast.Module]]) -> list[str]:
    coroutines, plain = set(), set()
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.AsyncFunctionDef):
                coroutines.add(node.name)
            elif isinstance(node, ast.FunctionDef):
                plain.add(node.name)
    suspects = coroutines - plain - SHARED_NAMES
    return [
        f"{path.relative_to(SOURCE)}:{value.lineno} {_called_name(value)}()"
        for path, tree in trees
        for value in _bare_calls(tree)
        if _called_name(value) in suspects
    ]


def test_every_coroutine_the_project_defines_is_awaited():
    assert unawaited(_trees()) == []


def test_the_check_finds_a_forgotten_await():
    code = """
async def ensure_reader(p, row): ...
async def page(p, row):
    ensure_reader(p, row)
    if not ensure_reader(p, row):
        return
    await ensure_reader(p, row)
"""
    found = unawaited([(SOURCE / "example.py", ast.parse(code))])
    assert found == ["example.py:4 ensure_reader()", "example.py:5 ensure_reader()"]
