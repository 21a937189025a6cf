"""Feedback memory: rules checked, stored, shared as a file, served over the token-guarded API, applied by runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from huntfeed.cli import cli
from huntfeed.environment.feedback import (
    REASON,
    apply_to_indicators,
    apply_to_inference,
    dumps,
    feedback_hash,
    loads,
    make_rule,
    rules_for,
)
from huntfeed.errors import ConfigError
from huntfeed.model import Fidelity, Indicator, IndicatorType, Inference, TechniqueHit
from huntfeed.store import Store
from huntfeed.web.app import create_app
from tests.httpserver import LoopbackServer, Reply

ARTICLE = """<html><body><article><h1>Loader campaign</h1>
<p>The actor used PowerShell with an encoded command to fetch a loader and created a scheduled task.</p>
<p>Command and control ran over HTTPS to 45.137.21[.]9 on port 443 and to 91.219.236[.]18 on port 8443.</p>
<p>Filler text so that the page counts as a full write-up rather than a stub. </p>
</article></body></html>"""

IP = Indicator(IndicatorType.IPV4, "203.0.113.77", "203.0.113[.]77", 0, 10, True)
DOMAIN = Indicator(IndicatorType.DOMAIN, "cdn-update.example", "cdn-update[.]example", 20, 40, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("maybe", "x"), "feedback kind must be one of"),
        (("false-positive", "x"), "say why"),
        (("false-positive", " "), "needs a value"),
        (("not-in-report", "T99"), "not an ATT&CK technique id"),
    ],
    ids=["kind", "reason", "value", "technique"],
)
def test_rules_are_checked(args: tuple[str, str], message: str) -> None:
    reason = "" if message == "say why" else "r"
    with pytest.raises(ConfigError, match=message):
        make_rule(*args, reason=reason)


def test_scope_needs_a_target_and_type_must_exist() -> None:
    with pytest.raises(ConfigError, match="scope feed needs a target"):
        make_rule("false-positive", "x", scope="feed", reason="r")
    with pytest.raises(ConfigError, match="unknown indicator type"):
        make_rule("false-positive", "x", type="colour", reason="r")


def test_apply_to_indicators_by_value_type_and_scope() -> None:
    rules = [make_rule("false-positive", "203.0.113.77", type="ipv4", reason="our scanner"),
             make_rule("false-positive", "CDN-UPDATE.example", scope="feed", target="https://a/feed", reason="cdn")]
    assert apply_to_indicators((IP, DOMAIN), rules_for(rules, "p1", "https://b/feed")) == (
        Indicator(IndicatorType.IPV4, "203.0.113.77", "203.0.113[.]77", 0, 10, True, Fidelity.LOW, REASON), DOMAIN)
    both = apply_to_indicators((IP, DOMAIN), rules_for(rules, "p1", "https://a/feed"))
    assert [(i.fidelity, i.reason) for i in both] == [(Fidelity.LOW, REASON)] * 2
    wrong_type = [make_rule("false-positive", "203.0.113.77", type="domain", reason="r")]
    assert apply_to_indicators((IP,), tuple(wrong_type)) == (IP,)


def test_not_in_report_drops_the_technique_and_its_phases() -> None:
    ps = TechniqueHit("T1059.001", "PowerShell", ("execution",))
    task = TechniqueHit("T1053.005", "Scheduled Task", ("persistence",))
    inf = Inference(observed=(ps, task), kill_chain_phases=("exploitation", "installation"))
    rule = make_rule("not-in-report", "t1053.005", scope="profile", target="p1", reason="quoted advice")
    phases = {"execution": "exploitation", "persistence": "installation"}
    out = apply_to_inference(inf, (rule,), lambda tactics: tuple(dict.fromkeys(phases[t] for t in tactics)))
    assert out.observed == (ps,) and out.kill_chain_phases == ("exploitation",)
    assert rules_for([rule], "p2", "") == ()


def test_store_keeps_rules_across_opens_and_files_round_trip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fb.db'}"
    rule = make_rule("false-positive", "8.8.8.8", type="ipv4", reason="Google DNS")
    assert Store(url).add_feedback(rule) is True
    assert Store(url).add_feedback(rule) is False  # the same rule twice is one rule
    (stored,) = Store(url).list_feedback()
    assert (stored.n, stored.value, stored.reason) == (1, "8.8.8.8", "Google DNS")
    again = loads(dumps([stored]), "f")
    assert [(r.kind, r.value, r.type, r.scope, r.reason, r.created_at) for r in again] == [
        (stored.kind, stored.value, stored.type, stored.scope, stored.reason, stored.created_at)]
    with pytest.raises(ConfigError) as err:
        loads(json.dumps({"schema": "huntfeed.feedback/1", "rules": [rule_dict(), {"kind": "x"}]}), "team.json")
    assert err.value.where == "team.json rule 2"
    assert Store(url).remove_feedback(1) and not Store(url).list_feedback()


def rule_dict() -> dict[str, str]:
    return {"kind": "false-positive", "value": "1.1.1.1", "reason": "resolver"}


def test_cli_export_import_between_teams(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    runner = CliRunner()
    for args in (["false-positive", "1.1.1.1", "--type", "ipv4", "--reason", "resolver"],
                 ["not-in-report", "T1027", "--profile", "abc", "--reason", "quoted only"]):
        assert runner.invoke(cli, ["feedback", *args, "--db", a]).exit_code == 0
    out = tmp_path / "noise.json"
    assert runner.invoke(cli, ["feedback", "export", "-o", str(out), "--db", a]).exit_code == 0
    result = runner.invoke(cli, ["feedback", "import", str(out), "--db", b])
    assert result.exit_code == 0 and "2 new" in result.stderr
    listed = [json.loads(x) for x in runner.invoke(cli, ["feedback", "list", "--json", "--db", b]).stdout.splitlines()]
    assert [(r["kind"], r["value"], r["scope"], r["target"]) for r in listed] == [
        ("false-positive", "1.1.1.1", "global", ""), ("not-in-report", "T1027", "profile", "abc")]
    assert "1 already recorded" not in runner.invoke(cli, ["feedback", "import", str(out), "--db", b]).stderr


def test_web_feedback_needs_the_token(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    body = {"kind": "false-positive", "value": "9.9.9.9", "reason": "Quad9"}
    with TestClient(create_app(store, token="s3cret"), base_url="http://127.0.0.1") as client:
        assert client.post("/api/feedback", json=body).status_code == 401
        assert client.post("/api/feedback", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.post("/api/feedback", json=body, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201 and ok.json()["added"] is True
        bad = client.post("/api/feedback", json={**body, "scope": "feed"}, headers={"Authorization": "Bearer s3cret"})
        assert bad.status_code == 422 and "needs a target" in bad.text
        assert [r["value"] for r in client.get("/api/feedback").json()] == ["9.9.9.9"]
        assert client.delete("/api/feedback/1").status_code == 401
        assert client.delete("/api/feedback/1", headers={"Authorization": "Bearer s3cret"}).status_code == 204
    with TestClient(create_app(store), base_url="http://127.0.0.1") as client:  # no token: no writes at all
        assert client.post("/api/feedback", json=body, headers={"Authorization": "Bearer x"}).status_code == 403


def test_feedback_hash_makes_a_judgement_a_new_version() -> None:
    rule = make_rule("false-positive", "1.1.1.1", reason="r")
    assert feedback_hash("abc", ()) == "abc" and feedback_hash("abc", (rule,)) != "abc"


def _rss(base: str, n: int) -> bytes:
    items = "".join(f"<item><title>Post {i}</title><link>{base}/post/{i}</link><guid>p{i}</guid>"
                    f"<description>Summary {i}</description></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


@pytest.mark.integration
def test_marked_noise_stays_gone_in_later_runs(http_server: LoopbackServer, tmp_path: Path) -> None:
    base, db = http_server.base, f"sqlite:///{tmp_path / 'run.db'}"
    posts = {"n": 1}
    http_server.routes["/feed.xml"] = lambda handler: Reply(200, _rss(base, posts["n"]),
                                                            {"Content-Type": "application/rss+xml"})
    http_server.routes["/post/0"] = Reply(200, ARTICLE.encode(), {"Content-Type": "text/html"})
    http_server.routes["/post/1"] = Reply(200, ARTICLE.replace("Loader campaign", "Second loader wave").encode(),
                                          {"Content-Type": "text/html"})
    runner = CliRunner()
    assert runner.invoke(cli, ["feeds", "add", f"{base}/feed.xml", "--db", db]).exit_code == 0
    args = ["run", "--db", db, "--allow-host", http_server.host, "--json"]
    first = json.loads(runner.invoke(cli, args, catch_exceptions=False).stdout)
    (pid,) = first["profiles_new"]
    ip = next(i for i in Store(db).get_profile(pid).indicators if i.value == "45.137.21.9")  # type: ignore[union-attr]
    assert ip.fidelity is Fidelity.HIGH

    assert runner.invoke(cli, ["feedback", "false-positive", "45.137.21.9", "--type", "ipv4",
                               "--reason", "our own scanner", "--db", db]).exit_code == 0
    posts["n"] = 2  # a later article names the same value
    second = json.loads(runner.invoke(cli, args, catch_exceptions=False).stdout)
    (later,) = second["profiles_new"]
    profile = Store(db).get_profile(later)
    assert profile is not None
    marked = next(i for i in profile.indicators if i.value == "45.137.21.9")  # type: ignore[union-attr]
    assert (marked.fidelity, marked.reason) == (Fidelity.LOW, "analyst:false-positive")
    sweeps = " ".join(h.queries.get("kql", "") for h in profile.hunts if h.kind == "sweep")
    assert "91.219.236.18" in sweeps and "45.137.21.9" not in sweeps  # the other value is still hunted
    kept = next(i for i in profile.indicators if i.value == "91.219.236.18")
    assert kept.fidelity is Fidelity.HIGH


def test_analyse_drops_a_technique_marked_for_this_profile_only() -> None:
    from huntfeed.feeds.article import document_article
    from huntfeed.pipeline import Knowledge, analyse

    kb = Knowledge.load()
    text = ("The operators launched powershell.exe -EncodedCommand to download the next stage, then created a "
            "scheduled task with schtasks /create to run it at every logon. C2 went to 45.137.21[.]9.")
    article = document_article(text, url="https://news.example/a", title="Loader")
    first = analyse(article, kb)
    assert "T1059.001" in {t.id for t in first.techniques}
    rules = (make_rule("not-in-report", "T1059.001", scope="profile", target=first.id, reason="quoted advice"),
             make_rule("not-in-report", "T1053.005", scope="profile", target="another", reason="elsewhere"))
    second = analyse(article, kb, previous=first, feedback=rules)
    assert "T1059.001" not in {t.id for t in second.techniques}
    assert {t.id for t in first.techniques} - {t.id for t in second.techniques} == {"T1059.001"}
    assert any(c.kind == "technique-removed" and c.detail.startswith("T1059.001") for c in second.changes)
    assert second.content_hash != first.content_hash  # a judgement is a new version, not "content exists"


def test_migration_0004_upgrades_a_0003_store_and_keeps_its_profiles(tmp_path: Path) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    import huntfeed.store
    from tests.fixtures_profiles import apt_profile_v2

    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(huntfeed.store.__file__).with_name("migrations")))
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        assert "feedback" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    store = Store(url)  # migrates to 0004 on open
    assert store.list_feedback() == [] and store.save_profile(apt_profile_v2())
    assert store.count_profiles(affects_us=True) == 0 and store.count_profiles() == 1
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
        assert "affects_us" not in {c["name"] for c in sa.inspect(conn).get_columns("profile_heads")}
