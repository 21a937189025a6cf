from pathlib import Path

import pytest

from huntfeed.config import load_settings
from huntfeed.errors import ConfigError


def test_file_env_and_flags_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('db = "sqlite:///file.db"\nallow_hosts = ["Intel.Corp.Example"]\n[fetch]\ntimeout = 5\n')
    s = load_settings(cfg)
    assert s.db_url == "sqlite:///file.db" and s.fetch.timeout == 5.0
    assert s.fetch.allow_hosts == frozenset({"intel.corp.example"})
    monkeypatch.setenv("HUNTFEED_DB", "sqlite:///env.db")
    s = load_settings(cfg).with_flags(allow_hosts=("127.0.0.1:8080",))
    assert s.db_url == "sqlite:///env.db"
    assert s.fetch.allow_hosts == frozenset({"intel.corp.example", "127.0.0.1:8080"})
    assert load_settings(cfg).with_flags(db_url="sqlite:///flag.db").db_url == "sqlite:///flag.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown setting"),
        ("[fetch]\ntimeout = 'soon'\n", "wrong type"),
        ("allow_hosts = 'x'\n", "list of host names"),
        ("db = \n", "invalid TOML"),
    ],
)
def test_strict_loader(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(cfg)
    assert str(cfg) in str(info.value)
