"""Fixtures shared by every test room."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


#: Tests long enough (20-85 s) to hold the browser pass up when one starts last, as part
#: of its file, while the other process has run out of work: under ``--dist loadfile``
#: each of their cases is handed out alone and before the files. (Split per width, the
#: page audits cost 60% more, each width walking the pages again, for no shorter pass.)
LONG = (
    "tests/browser/test_browser_journey.py::test_a_new_learner_completes_the_course",
    "tests/browser/test_browser_pages.py::test_every_learner_page_type_at_three_widths",
    "tests/browser/test_browser_staff_pages.py::test_every_admin_and_author_page_type_at_three_widths",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, but each case of a ``LONG`` test a unit of its own, first."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.split("[")[0] in LONG else super()._split_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # The queue is built by now (files with more tests first): the long cases go
            # to its front once, before the first unit is handed out.
            if not getattr(self, "long_first", False):
                units = sorted(self.workqueue.items(), key=lambda unit: "::" not in unit[0])
                self.workqueue = OrderedDict(units)
                self.long_first = True
            super()._assign_work_unit(node)

    return LongFirst(config, log)


def _share_url_builders() -> None:
    """Compile each route's URL builder once per test process, not once per app.

    Werkzeug writes and compiles two Python functions for every route of every app it
    binds (a syntax tree each, then ``compile``): 95% of ``create_app``, and a fifth of
    the in-process pass, where each test builds an app of its own. A builder is a pure
    function of what it is keyed on here (the route's parsed parts, its defaults, whether
    unknown arguments become a query) and takes its rule as an argument, so apps can share
    it. A Werkzeug other than the 3.1 this was read against compiles as before
    (``tests/test_url_builders.py`` then says so).
    """
    from importlib.metadata import version

    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if not version("werkzeug").startswith("3.1.") or compile_builder is None:
        return
    if getattr(compile_builder, "shared", False):
        return
    built: dict[tuple, Any] = {}

    def shared(self: Rule, append_unknown: bool = True) -> Any:
        defaults = self.defaults or {}
        # A default for a part of the path is written into the builder as its converter
        # puts it in a URL.
        fixed = [(name, self._converters[name].to_url(value) if name in self._converters
                  else None) for name, value in defaults.items()]
        key = (self.rule, tuple(self._trace), append_unknown, repr(fixed))
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    shared.shared = True  # type: ignore[attr-defined]
    shared.unshared = compile_builder  # type: ignore[attr-defined]
    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


@pytest.fixture
def minimal_package_dir() -> Path:
    """The small valid course package used across the suite."""
    return DATA / "packages" / "minimal"


@pytest.fixture(autouse=True)
def fresh_rsa_keys() -> None:
    """Hand out ``tests.rsa_keys`` from the first again: a test's keys differ from each other."""
    from tests.rsa_keys import start_over

    start_over()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the root logger back as it was after each test.

    An app built with ``LOG_CONFIGURE`` on (as production builds it) installs its handler
    on the root logger; left there, later tests in the process print their libraries' INFO
    lines (the SMTP test server's) into the run's output.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
