"""axe-core (Deque's accessibility engine, the npm package, vendored in tests/data/axe/) run in
the page the browser test has open: every rule tagged for WCAG 2.0, 2.1 and 2.2 at levels A and AA.

    from tests.browser.axe import assert_accessible
    assert_accessible(browser, "workspace")   # fails listing each violation, its rule and the elements
"""
from __future__ import annotations

import hashlib
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "data" / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
#: The npm tarball's axe.min.js (sri-history.json of axe-core 4.14.1: sha256-KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw=).
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

_source: str | None = None


def axe_source() -> str:
    global _source
    if _source is None:
        data = AXE.read_bytes()
        if hashlib.sha256(data).hexdigest() != AXE_SHA256:
            raise AssertionError(f"{AXE} is not axe-core {AXE_VERSION} as published (checksum differs)")
        _source = data.decode("utf-8")
    return _source


def run_axe(browser, tags=WCAG_AA, exclude=()) -> dict:
    """Inject axe-core (once per page) and run it over the whole document (less `exclude`, CSS
    selectors of parts that are not ours); return its results."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(axe_source())
    browser.set_script_timeout(60)
    return browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "var context = arguments[1].length ? {include: [document], exclude: arguments[1].map(function (s) { return [s]; })} : document;"
        "axe.run(context, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(function (r) { done({violations: r.violations, version: axe.version}); })"
        ".catch(function (e) { done({error: String(e)}); });", list(tags), list(exclude))


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '').splitlines()[-1:]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def assert_accessible(browser, page: str, exclude=()) -> None:
    result = run_axe(browser, exclude=exclude)
    assert "error" not in result, f"axe-core failed on {page}: {result.get('error')}"
    assert result["version"] == AXE_VERSION
    violations = result["violations"]
    assert not violations, f"axe-core {AXE_VERSION}, WCAG 2.2 AA, {page} ({browser.current_url}):\n" + describe(violations)
