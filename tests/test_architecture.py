"""The shape of the house, checked: small modules, no import circle, SQL only in store/, and
every sentence a guest hears in the sentence catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from appliance.config import INSTALL_ROOT
from appliance.sentences import check_translation, english, parse_catalogue, slots_of

PACKAGE = INSTALL_ROOT / "appliance"
#: Declarative settings may grow with the product; code may not.
LONG_ALLOWED = {"config.py"}
MAX_LINES = 500
SQL = re.compile(
    r"\b(SELECT\b[\s\S]*\bFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+)?(TABLE|VIEW|INDEX))\b",
    re.IGNORECASE,
)


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(INSTALL_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if path.name not in LONG_ALLOWED and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The appliance modules ``name`` imports, wherever in the file (a function, a
    TYPE_CHECKING block): each is a dependency all the same."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circle() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    # A package's __init__ that gathers its submodules is no circle with them.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert not cycles(graph), cycles(graph)


def test_the_import_check_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_store_holds_sql() -> None:
    found = []
    for name, path in modules().items():
        if name.startswith("appliance.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found, f"SQL outside appliance/store: {found}"


#: A string a guest would hear or read: several words ending a sentence.
_SENTENCE = re.compile(r"[A-Za-z][a-z']*(?:[ ,][A-Za-z'][a-z']*){3,}[.?!]\s*$")
#: Calls whose text is for the people who run the box (logs, errors, help), not for guests.
_FOR_STAFF = re.compile(
    r"(_LOGGER|logging|logger)\.\w+|\w*(Error|Exception|Refused)$|web\.HTTP\w+|typer\.\w+|"
    r"(out|err|console)\.print|print|json_error|Option|Argument|BadParameter|ChatMessage|"
    r"warnings?\.append|problems?\.append|found\.append|notes?\.append|add_row|add_column|Check|"
    r"Table|_fail|fail|Failure|Refusal|_refused|_unauthorized"
)
#: Modules whose words are never a guest's: instructions to a language model, the tools'
#: descriptions the model is shown, and what IT staff read (the dashboard, /metrics, doctor).
_NOT_FOR_GUESTS = {
    "appliance.analytics.sentiment", "appliance.understanding.llm", "appliance.dialogue.smalltalk",
    "appliance.llm.llama", "appliance.tools.registry", "appliance.analytics.metrics",
    "appliance.analytics.dashboard", "appliance.doctor", "appliance.config",
}  # fmt: skip


def _call_name(node: ast.Call) -> str:
    return ast.unparse(node.func)


def guest_sentences_outside_the_catalogue() -> list[str]:
    found = []
    for name, path in modules().items():
        if name in _NOT_FOR_GUESTS or name.startswith("appliance.cli"):
            continue
        tree = ast.parse(path.read_text())
        exempt: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _FOR_STAFF.search(_call_name(node)):
                exempt |= {id(n) for arg in [*node.args, *node.keywords] for n in ast.walk(arg)}
            if isinstance(node, ast.Raise) and node.exc is not None:
                exempt |= {id(n) for n in ast.walk(node.exc)}
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    exempt.add(id(body[0].value))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in exempt
                and _SENTENCE.search(node.value)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_what_guests_hear_is_worded_only_in_the_catalogue() -> None:
    assert not guest_sentences_outside_the_catalogue()


def test_the_sentence_check_finds_a_sentence_written_in_code(tmp_path: Path) -> None:
    assert _SENTENCE.search("I'm sorry, the pool is closed today.")
    assert not _SENTENCE.search("booking.ask_nights")


def test_every_sentence_key_the_code_names_is_in_the_catalogue_with_its_slots() -> None:
    lines = english()
    named: set[str] = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("say",)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and "." in node.args[0].value
            ):
                key = node.args[0].value
                named.add(key)
                assert key in lines.sentences, f"{path.name}:{node.lineno}: no sentence {key!r}"
                given = {kw.arg for kw in node.keywords}
                if None not in given:  # no **slots
                    assert given == slots_of(lines.sentences[key]), (
                        f"{path.name}:{node.lineno}: {key} takes {sorted(slots_of(lines.sentences[key]))}, "
                        f"given {sorted(given)}"  # type: ignore[type-var]
                    )
    # Keys built at run time (the booking questions, found/cancelled) are named in full too.
    unused = set(lines.sentences) - named - _named_in_strings()
    assert not unused, f"sentences nothing says: {sorted(unused)}"


def _named_in_strings() -> set[str]:
    keys = set()
    for path in modules().values():
        keys |= set(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", path.read_text()))
    return keys


def test_a_translation_must_have_every_key_and_the_same_slots() -> None:
    base = english()
    broken = parse_catalogue(
        '[call]\ngreeting = "Gracias por llamar a {hotel}."\nhello = "Hola {name}"\n',
        "es",
        "test",
    )
    problems = check_translation(base, broken)
    assert "call.hello: slots ['name'], not []" in problems
    assert "booking.ask_nights: missing" in problems
