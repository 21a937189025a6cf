"""Opt-in use-case packs: the audit pack is out of the default library, in when the config file or a flag
enables it, and the knob and the pack's files are strictly checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from huntfeed.cli import cli
from huntfeed.config import load_settings
from huntfeed.errors import ConfigError, DataFileError
from huntfeed.hunts import HuntLibrary
from huntfeed.hunts.packs import available_packs, load_packs, packs_root
from huntfeed.paths import data_dir, package_data

NONE = Path("/nonexistent/none.json")
AUDIT_ID = "UC_EVENT_LOG_CLEARED_EVENTS"


def _ids(lib: HuntLibrary) -> set[str]:
    return {uc.id for uc in lib.usecases}


def test_the_audit_pack_is_not_in_the_default_library() -> None:
    lib = HuntLibrary.load(imports=NONE)
    assert AUDIT_ID not in _ids(lib)
    assert {uc.grade for uc in lib.usecases} == {"alert"}  # the default library is alert grade only
    assert available_packs() == ("audit",)
    assert not list(package_data("usecases").glob("uc_log_cleared_events.y*ml"))


def test_the_audit_pack_loads_when_asked() -> None:
    base = HuntLibrary.load(imports=NONE)
    lib = HuntLibrary.load(imports=NONE, packs=("audit",))
    assert _ids(lib) - _ids(base) == {AUDIT_ID}
    assert lib.get(AUDIT_ID).grade == "audit"
    # Its alert-grade twins stay in the default library; enabling the pack adds the listing to their slot.
    text = "The intruder cleared the event logs with wevtutil cl Security."
    from huntfeed.model import Inference, TechniqueHit

    inference = Inference(observed=(TechniqueHit(id="T1070.001", name="t"),))
    assert AUDIT_ID not in {h.use_case for h in base.hunts_for(text, (), inference)}
    kinds = {h.use_case: h.kind for h in lib.hunts_for(text, (), inference)}
    assert kinds[AUDIT_ID] == "audit" and kinds["UC_EVENT_LOG_CLEARED"] == "usecase"


def _config(text: str) -> Path:
    path = data_dir() / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_file_enables_a_pack() -> None:
    assert load_settings().usecase_packs == ()
    _config('[usecases]\npacks = ["audit"]\n')
    assert load_settings().usecase_packs == ("audit",)
    assert AUDIT_ID in _ids(HuntLibrary.load(imports=NONE))  # packs=None: as the config file says
    assert AUDIT_ID not in _ids(HuntLibrary.load(imports=NONE, packs=()))  # an explicit empty set wins


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[usecases]\npacks = "audit"\n', "[usecases] packs must be a list of pack names"),
        ("[usecases]\npacks = [1]\n", "[usecases] packs must be a list of pack names"),
        ('[usecases]\npack = ["audit"]\n', "unknown setting(s): pack"),
        ('usecases = ["audit"]\n', "[usecases] must be a table"),
    ],
)
def test_the_knob_is_strict(text: str, message: str) -> None:
    _config(text)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert message in str(err.value)


def test_an_unknown_pack_name_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as err:
        HuntLibrary.load(imports=NONE, packs=("audits",))
    assert str(err.value) == "unknown use-case pack 'audits' (known: audit)"
    _config('[usecases]\npacks = ["nope"]\n')
    with pytest.raises(ConfigError, match="unknown use-case pack 'nope'"):
        HuntLibrary.load(imports=NONE)


def _pack_copy(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    shutil.copytree(packs_root(), root)
    return root


def test_an_alert_grade_use_case_in_the_audit_pack_is_refused(tmp_path: Path) -> None:
    root = _pack_copy(tmp_path)
    path = root / "audit" / "uc_log_cleared_events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("grade: audit\n", ""), encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        load_packs(["audit"], root=root)
    assert "UC_EVENT_LOG_CLEARED_EVENTS is grade alert; the audit pack holds grade audit only" in str(err.value)
    assert str(path) in str(err.value)


def test_a_pack_id_the_library_has_is_refused(tmp_path: Path) -> None:
    from huntfeed.hunts.packs import with_packs
    from huntfeed.hunts.usecase import load_usecases

    root = _pack_copy(tmp_path)
    twin = root / "audit" / "uc_eventlog_clear.yaml"  # the library's own alert hunt, made audit grade
    twin.write_text(package_data("usecases", "uc_eventlog_clear.yaml").read_text(encoding="utf-8").replace(
        "confidence: High", "confidence: High\ngrade: audit"), encoding="utf-8")
    with pytest.raises(DataFileError, match="duplicate use case id UC_EVENT_LOG_CLEARED "):
        with_packs(load_usecases(package_data("usecases")), load_packs(["audit"], root=root))


def test_cli_pack_flag_and_root_config_flag(tmp_path: Path) -> None:
    runner = CliRunner()
    plain = runner.invoke(cli, ["usecases", "list", "--json"])
    assert plain.exit_code == 0 and AUDIT_ID not in {r["id"] for r in json.loads(plain.output)}
    flagged = runner.invoke(cli, ["usecases", "test", AUDIT_ID, "--pack", "audit"])
    assert flagged.exit_code == 0, flagged.output
    assert flagged.output.splitlines()[-1] == "1 of 1 use cases pass their samples"
    cfg = tmp_path / "other.toml"
    cfg.write_text('[usecases]\npacks = ["audit"]\n', encoding="utf-8")
    via_config = runner.invoke(cli, ["--config", str(cfg), "usecases", "list", "--json"])
    assert via_config.exit_code == 0 and AUDIT_ID in {r["id"] for r in json.loads(via_config.output)}
    wrong = runner.invoke(cli, ["usecases", "list", "--pack", "loud"])
    assert wrong.exit_code != 0 and "unknown use-case pack 'loud'" in str(wrong.exception)
