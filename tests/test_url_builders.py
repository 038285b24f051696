"""The test processes' shared URL builders: in use, and the same code Werkzeug writes."""

from __future__ import annotations

from werkzeug.routing.rules import Rule

from course import create_app


def _app(tmp_path):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db",
                       "CONTENT_DIR": str(tmp_path / "content")})


def test_two_apps_share_every_route_builder(tmp_path):
    # Without sharing, each test's app compiled about 300 builders: a fifth of the pass.
    assert getattr(Rule._compile_builder, "shared", False), "builders are compiled per app"
    first, second = _app(tmp_path), _app(tmp_path)
    rules = {rule.rule + rule.endpoint: rule for rule in first.url_map.iter_rules()}
    for rule in second.url_map.iter_rules():
        other = rules[rule.rule + rule.endpoint]
        assert rule._build.__func__ is other._build.__func__
        assert rule._build_unknown.__func__ is other._build_unknown.__func__


def test_each_shared_builder_is_the_code_werkzeug_writes_for_its_route(tmp_path):
    unshared = Rule._compile_builder.unshared
    for rule in _app(tmp_path).url_map.iter_rules():
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            own = unshared(rule, append_unknown)
            parts = ("co_code", "co_consts", "co_varnames", "co_names", "co_name")
            assert [getattr(built.__code__, part) for part in parts] == [
                getattr(own.__code__, part) for part in parts], rule.rule
            assert built.__func__.__defaults__ == own.__defaults__
