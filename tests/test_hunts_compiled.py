"""The compiled hunt library: one automaton gives the patterns' own matches; queries cached on disk."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huntfeed.feeds.article import document_text
from huntfeed.hunts import HuntLibrary, compiled
from huntfeed.hunts.compiled import FOLD, QueryCache, TriggerIndex, context_key, fold
from huntfeed.hunts.convert import CONVERTERS
from huntfeed.hunts.match import Evidence, Fired, match_usecase, phrase_pattern, rank
from huntfeed.hunts.usecase import TARGETS
from huntfeed.model import Inference, TechniqueHit
from huntfeed.paths import package_data
from tests.conftest import SHARED


@pytest.fixture(scope="module")
def lib() -> HuntLibrary:
    return HuntLibrary.load(imports=Path("/nonexistent/none.json"))


def _reference(lib: HuntLibrary, text: str) -> tuple[dict[str, list[str]], frozenset[str]]:
    """What the per-use-case patterns find: every phrase match in order, and the platforms named."""
    lowered = text.lower()
    phrases = {}
    for uc in lib.usecases:
        rx = phrase_pattern(uc.triggers.phrases)
        found = [m.group() for m in rx.finditer(lowered)] if rx else []
        if found:
            phrases[uc.id] = found
        for word in uc.triggers.context:  # each context word is its own pattern (match_usecase)
            if found := [m.group() for m in phrase_pattern((word,)).finditer(lowered)]:  # type: ignore[union-attr]
                phrases[context_key(uc.id, word)] = found
    return phrases, lib.platforms.named(text)


def _compiled(lib: HuntLibrary, text: str) -> tuple[dict[str, list[str]], frozenset[str]]:
    index = lib._trigger_index()
    scan = index.scan(text, text.lower())
    assert scan is not None
    return {k: v for k, v in scan.phrases.items() if v}, scan.platforms


def _texts() -> list[str]:
    demo = package_data("demo")
    pages = sorted(p for p in demo.rglob("*.html"))
    texts = [document_text(p.read_text(encoding="utf-8"), "") for p in pages]
    dev = SHARED / "eval" / "reports_dev.jsonl"
    if dev.is_file():
        texts += [json.loads(line)["full_text"] for line in dev.open(encoding="utf-8")]
    return texts


def test_fold_table_covers_every_code_point_case_insensitive_matching_equates_with_ascii() -> None:
    # For each ASCII character a: the code points a case-insensitive pattern for a matches (in the
    # text as given, as the platform cues see it, or lower-cased, as the phrases see it) are exactly
    # those that fold to a's own fold.
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and c != 0x130)
    lowered = "".join(c.lower() for c in every)
    assert len(lowered) == len(every)
    folded = fold(every)
    for a in map(chr, range(0x20, 0x7F)):
        want = {i for i, c in enumerate(folded) if c == fold(a)}
        for haystack in (every, lowered):
            got = {m.start() for m in re.finditer(re.escape(a), haystack, re.IGNORECASE)}
            assert got == want, (a, sorted(every[i] for i in got ^ want)[:5])
    assert fold("\u0130") == "i" and set(FOLD.values()) <= set("abcdefghijklmnopqrstuvwxyz")
    for text in (every, "AbÉ\u0130\u0131\u017f\u212a\ud800Z", "ASCII ONLY", ""):  # the byte-level folding is the table's
        assert fold(text) == text.translate(FOLD)


def test_one_pass_finds_what_every_pattern_finds_on_the_demo_and_dev_reports(lib: HuntLibrary) -> None:
    texts = _texts()
    assert len(texts) >= 20
    fired_somewhere = set()
    for text in texts:
        expected = _reference(lib, text)
        assert _compiled(lib, text) == expected
        fired_somewhere |= set(expected[0])
    assert len(fired_somewhere) >= 10  # the comparison covered many use cases, not an empty answer


EDGES = [
    "PowerShell -enc and POWERSHELL.EXE", "-certutil certutil- _certutil certutil_ (certutil)",
    "Scheduled Task scheduled tasks scheduled\ttask", "run key; hklm\\software", "payload.exe.dll a.EXE",
    "\u017fchtasks and \u212aerberoast and m\u0131m\u0131katz", "wmic.exe process call create", "",
    "ntdsutil\u00e9 ntdsutil\u0301 caf\u00e9ntdsutil", "netsh interface portproxy add v4tov4",
]


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_match_the_patterns(lib: HuntLibrary, text: str) -> None:
    assert _compiled(lib, text) == _reference(lib, text)


def _pieces(lib: HuntLibrary) -> list[str]:
    words = [p for uc in lib.usecases for p in (*uc.triggers.phrases, *uc.triggers.context)]
    words += [w for cues in lib.platforms.words.values() for w in cues]
    return sorted(set(words))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_mixtures_of_trigger_words_match_the_patterns(lib: HuntLibrary, data: st.DataObject) -> None:
    pieces = _pieces(lib)
    glue = st.sampled_from(["", " ", "-", "_", ".", "\n", "x", "\u0131", "\u017f", "\u00e9", "/"])
    parts = data.draw(st.lists(st.tuples(st.sampled_from(pieces), glue, st.booleans()), max_size=12))
    text = "".join((w.upper() if up else w) + g for w, g, up in parts)
    assert _compiled(lib, text) == _reference(lib, text)


def _reference_fire(lib: HuntLibrary, text: str, observed: list[str]) -> list[Fired]:
    """Every use case matched over the whole lower-cased text by its own patterns."""
    named = lib.platforms.named(text)
    ev = Evidence(text=text.lower(), techniques=frozenset(observed), indicator_types=frozenset(),
                  fits_platform=lambda product: lib.platforms.fits(product, text, named),
                  exploitation_denied=lib.exploitation.denied(text))
    return rank([f for uc in lib.usecases
                 if (f := match_usecase(uc, ev, phrase_pattern(uc.triggers.phrases))) is not None])


def _observed(observed: list[str]) -> Inference:
    return Inference(observed=tuple(TechniqueHit(id=t, name=t) for t in observed))


def test_fire_is_unchanged_with_techniques_and_platforms(lib: HuntLibrary) -> None:
    observed = sorted({t for uc in lib.usecases for t in uc.triggers.techniques})[::3]
    for text in _texts()[:40]:
        assert lib.fire(text, (), _observed(observed)) == _reference_fire(lib, text, observed)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_use_cases_with_context_words_fire_as_over_the_whole_text(lib: HuntLibrary, data: st.DataObject) -> None:
    # Their phrase and context patterns run over the automaton's matches only (evidence_text).
    cases = [uc for uc in lib.usecases if uc.triggers.context]
    words = sorted({w for uc in cases for w in (*uc.triggers.phrases, *uc.triggers.context)} | set(_pieces(lib)[::7]))
    glue = st.sampled_from([" ", "-", "_", ".", "\n", "x", "/", " the "])
    parts = data.draw(st.lists(st.tuples(st.sampled_from(words), glue, st.booleans()), max_size=14))
    text = "".join((w.upper() if up else w) + g for w, g, up in parts)
    observed = sorted({t for uc in cases for t in uc.triggers.techniques})[::2]
    assert lib.fire(text, (), _observed(observed)) == _reference_fire(lib, text, observed)


def test_context_words_are_credited_in_the_comparisons(lib: HuntLibrary) -> None:
    # The comparisons above cover use cases whose context words occur (a reason of their own).
    cases = [uc for uc in lib.usecases if uc.triggers.context]
    assert cases
    uc = cases[0]
    text = f"{uc.triggers.phrases[0]} and then {uc.triggers.context[0]}." if uc.triggers.phrases else ""
    fired = {f.usecase.id: f for f in lib.fire(text, (), _observed(list(uc.triggers.techniques)))}
    assert uc.id in fired and any(r.startswith("context ") for r in fired[uc.id].reasons)
    assert fired[uc.id] == next(f for f in _reference_fire(lib, text, list(uc.triggers.techniques)) if f.usecase is uc)


def test_a_text_whose_lower_case_is_longer_falls_back_to_the_patterns(lib: HuntLibrary) -> None:
    text = "\u0130 certutil -urlcache on Windows"
    assert lib._trigger_index().scan(text, text.lower()) is None
    ref = Evidence(text=text.lower(), techniques=frozenset(), indicator_types=frozenset())
    want = [f for uc in lib.usecases if (f := match_usecase(uc, ref, phrase_pattern(uc.triggers.phrases)))]
    assert [f.usecase.id for f in lib.fire(text, (), Inference())] == [f.usecase.id for f in rank(want)]


def test_index_without_words_and_non_ascii_words_defer_to_patterns() -> None:
    index = TriggerIndex({"a": ("caf\u00e9",), "b": ("tea",)}, {"p": ("\0",)})
    assert index.always == {"a", "p"}
    scan = index.scan("tea, Tea, steam", "tea, tea, steam")
    assert scan is not None and scan.phrases == {"b": ["tea", "tea"]} and scan.platforms == frozenset()


def test_queries_convert_once_and_come_back_from_disk_identical(lib: HuntLibrary, tmp_path: Path) -> None:
    cold = QueryCache.open(tmp_path)
    sample = lib.usecases[:: max(1, len(lib.usecases) // 8)]
    first = {uc.id: cold.convert(uc.sigma, TARGETS) for uc in sample}
    assert cold.path is not None and cold.path.is_file()
    cold.flush()  # writes are coalesced (SAVE_EVERY): what the last seconds converted is written now
    warm = QueryCache.open(tmp_path)
    assert warm.entries == cold.entries
    for uc in sample:
        assert warm.convert(uc.sigma, TARGETS) == first[uc.id]
        direct = {}
        for t in TARGETS:
            try:
                direct[t] = CONVERTERS[t](uc.sigma)
            except Exception:  # noqa: BLE001 - a target that does not convert is absent in both
                continue
        assert first[uc.id] == direct


def test_a_cache_file_from_other_code_or_broken_is_ignored(tmp_path: Path) -> None:
    cache = QueryCache.open(tmp_path)
    assert cache.path is not None
    cache.path.write_text(json.dumps({"fingerprint": "other", "entries": {"spl:x": "forged"}}))
    assert QueryCache.open(tmp_path).entries == {}
    cache.path.write_text("{not json")
    assert QueryCache.open(tmp_path).entries == {}
    cache.path.write_text(json.dumps({"fingerprint": cache.fingerprint, "entries": {"spl:x": 3}}))
    assert QueryCache.open(tmp_path).entries == {}


def test_an_unwritable_cache_folder_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = QueryCache(blocker / "sub" / "q.json", "fp")
    lib = HuntLibrary.load(imports=Path("/nonexistent/none.json"))
    sigma = lib.get("UC_LSASS_DUMP").sigma  # a process-creation rule: Defender's DeviceProcessEvents
    assert cache.convert(sigma, ("kql",))["kql"].startswith("Device")


def test_library_queries_use_the_disk_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUNTFEED_CACHE", str(tmp_path))
    one = HuntLibrary.load(imports=Path("/nonexistent/none.json"))
    uc = one.usecases[0]
    queries = one.queries(uc)
    assert list(tmp_path.glob("hunt-queries-*.json"))
    two = HuntLibrary.load(imports=Path("/nonexistent/none.json"))
    monkeypatch.setattr("huntfeed.hunts.compiled._convert", lambda *a: pytest.fail("converted again"))
    assert two.queries(uc) == queries


def test_threads_converting_at_once_share_one_consistent_cache(lib: HuntLibrary, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cache = QueryCache.open(tmp_path)
    rules = [uc.sigma for uc in lib.usecases[:12]]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda sigma: cache.convert(sigma, TARGETS), rules * 2))
    assert results[:12] == results[12:]
    cache.flush()
    assert QueryCache.open(tmp_path).entries == cache.entries


def test_query_file_writes_are_coalesced_and_flushed_at_exit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the file was rewritten whole after every conversion: quadratic in the rules converted
    writes: list[int] = []
    real_write = compiled.write_cache_file
    monkeypatch.setattr(compiled, "write_cache_file", lambda path, data: (writes.append(len(data)), real_write(path, data)))
    monkeypatch.setattr(compiled, "_convert", lambda target, sigma: f"{target} of {sigma}")
    monkeypatch.setattr(compiled, "SAVE_EVERY", 3600.0)
    monkeypatch.setattr(compiled, "_PENDING", set())  # other tests' caches may be pending in this process
    cache = QueryCache.open(tmp_path)
    for k in range(30):
        cache.convert(f"rule {k}", ("spl", "kql"))
    assert len(writes) == 1  # the first conversion at once, the others pending
    assert len(QueryCache.open(tmp_path).entries) == 2
    compiled._flush_pending()  # what atexit runs
    assert len(writes) == 2 and QueryCache.open(tmp_path).entries == cache.entries and len(cache.entries) == 60
    compiled._flush_pending()
    assert len(writes) == 2  # nothing pending, nothing written
    monkeypatch.setattr(compiled, "SAVE_EVERY", 0.0)
    cache.convert("rule 30", ("spl",))
    assert len(writes) == 3  # the interval passed: written at once


def test_pending_queries_are_written_when_the_process_exits(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; import huntfeed.hunts.compiled as c\n"
        "c._convert = lambda target, sigma: target + ' of ' + sigma\n"
        "cache = c.QueryCache.open(Path(sys.argv[1]))\n"
        "for k in range(5): cache.convert(f'rule {k}', ('spl',))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=60)
    assert len(QueryCache.open(tmp_path).entries) == 5


def test_prepared_use_cases_equal_the_strict_load_and_follow_edits(tmp_path: Path) -> None:
    import shutil

    from huntfeed.errors import DataFileError
    from huntfeed.hunts.prepared import prepared_usecases
    from huntfeed.hunts.usecase import load_usecases

    lib_dir = tmp_path / "usecases"
    shutil.copytree(package_data("usecases"), lib_dir)
    cache = tmp_path / "cache"
    strict = load_usecases(lib_dir)
    assert prepared_usecases(lib_dir, folder=cache) == strict  # built and written
    files = list(cache.glob("usecases-*.json"))
    assert len(files) == 1
    import huntfeed.hunts.prepared as prepared_module

    real_load = prepared_module.load_usecases
    prepared_module.load_usecases = lambda d: pytest.fail("read back must not parse the YAML again")  # type: ignore[assignment]
    try:
        assert prepared_usecases(lib_dir, folder=cache) == strict  # read back, every field type decoded
    finally:
        prepared_module.load_usecases = real_load
    files[0].write_text("[{\"id\": 1}]")
    assert prepared_usecases(lib_dir, folder=cache) == strict  # a broken file is rebuilt
    first = sorted(lib_dir.glob("*.yaml"))[0]
    first.write_text(first.read_text().replace("title:", "title: Edited", 1))
    edited = prepared_usecases(lib_dir, folder=cache)
    assert edited != strict and edited == load_usecases(lib_dir)
    first.write_text("id: [unclosed\n")
    with pytest.raises(DataFileError) as err:
        prepared_usecases(lib_dir, folder=cache)
    assert first.name in str(err.value)


def test_hunts_for_reuses_the_platforms_fire_found(lib: HuntLibrary) -> None:
    # imported rules are gated by the platforms the text names: fire's one-pass answer is reused
    empty = Inference()
    for text in _texts()[:30]:
        lib.fire(text, (), empty)
        assert lib._named == (text, lib.platforms.named(text))
