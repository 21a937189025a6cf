"""Training: labelled-data loaders, a tiny end-to-end train, model round trip, classifier method, scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attack_fixtures import write_bundle

from huntfeed.attack.build import train
from huntfeed.attack.catalog import load_bundle
from huntfeed.attack.classifier import SentenceModel
from huntfeed.attack.engine import AttackEngine
from huntfeed.attack.evaluate import roll_up, score
from huntfeed.attack.labelled import load_labelled
from huntfeed.attack.train import TrainConfig
from huntfeed.errors import DataFileError

INJECT = "The loader injects its payload into explorer.exe with WriteProcessMemory."
BEACON = "The implant beacons to its server over HTTPS every minute."
FILLER = "The report was published on a Tuesday by the research team."


def _jsonl(path: Path, n_docs: int = 8) -> Path:
    rows = []
    for i in range(n_docs):
        parts = [FILLER, INJECT if i % 2 == 0 else BEACON, f"Sample {i} was analysed in the lab."]
        text = " ".join(parts)
        tid = "T1055" if i % 2 == 0 else "T1071.001"
        start = text.index(parts[1])
        rows.append({"granularity": "document", "doc_id": f"d{i}", "text": text, "techniques": [tid]})
        rows.append(
            {
                "granularity": "span",
                "doc_id": f"d{i}",
                "char_span": [start, start + len(parts[1])],
                "techniques": [tid],
                "text": parts[1],
            }
        )
    rows.append(
        {
            "granularity": "sentence",
            "text": "It uses HTTPS for command and control.",
            "techniques": ["T1071.001"],
        }
    )
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_jsonl_loader_builds_documents_with_span_labels(tmp_path: Path) -> None:
    lab = load_labelled(_jsonl(tmp_path / "d.jsonl"))
    assert len(lab.docs) == 8 and len(lab.sentences) == 1
    sents = lab.docs[0].sentences()
    assert [labels for _, labels in sents] == [set(), {"T1055"}, set()]


def test_tram_export_loader(tmp_path: Path) -> None:
    data = {
        "name": "r1",
        "sentences": [
            {"text": INJECT, "mappings": [{"attack_id": "T1055"}]},
            {"text": FILLER, "mappings": []},
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    lab = load_labelled(path)
    assert lab.docs[0].labels == {"T1055"}
    assert [labels for _, labels in lab.docs[0].sentences()] == [{"T1055"}, set()]


def test_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "techniques": ["T1055"]}\n{"text": "no labels"}\n')
    with pytest.raises(DataFileError, match=r"bad\.jsonl:2"):
        load_labelled(bad)


def test_train_end_to_end_and_classifier_method(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    home = tmp_path / "home"
    model_path = home / "attack" / "model.npz"
    cfg = TrainConfig(folds=2, n_jobs=1, min_examples=1)
    report = train(cat, load_labelled(_jsonl(tmp_path / "d.jsonl")), cfg, model_path)
    assert model_path.exists() and report.classes >= 2 and report.oof is not None
    model = SentenceModel.load(model_path)
    assert model.combiner == report.combiner and model.meta["attack_version"] == "17.0"
    scores = model.decision([INJECT, FILLER])
    col = model.labels.index("T1055")
    assert scores[0, col] > scores[1, col]

    engine = AttackEngine.load(home, with_model=True, catalog=cat)
    assert engine.model is not None
    assert engine.model.labels == model.labels  # the data folder's model wins over the shipped one
    inf = engine.infer(f"{FILLER} {INJECT}")
    hit = {h.id: h for h in inf.observed}.get("T1055")
    assert hit is not None and "classifier" in hit.methods
    assert any(INJECT in ev.text for ev in hit.evidence)


def test_scoring_rolls_up_into_label_space() -> None:
    space = {"T1055", "T1027", "T1027.002"}
    assert roll_up({"T1055.012", "T1027.002", "T1027.013", "T1059.001"}, space) == {
        "T1055",
        "T1027.002",
        "T1027",
    }
    sc = score([{"T1055", "T1027"}, set()], [{"T1055"}, set()])
    assert sc.per_doc_f1 == pytest.approx((2 / 3 + 1.0) / 2)
    assert sc.precision == 1.0 and sc.recall == 0.5


def test_cli_train_writes_a_model_the_engine_uses(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from huntfeed.cli import cli

    env = {"HUNTFEED_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    bundle = write_bundle(tmp_path / "b.json", version="17.0")
    assert runner.invoke(cli, ["attack", "update", "--file", str(bundle)], env=env).exit_code == 0
    data = _jsonl(tmp_path / "d.jsonl")
    res = runner.invoke(cli, ["attack", "train", "--extra", str(data), "--folds", "2", "--json"], env=env)
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["attack_version"] == "17.0" and out["classes"] >= 2
    info = json.loads(runner.invoke(cli, ["attack", "info", "--json"], env=env).output)
    assert info["model"]["present"] and info["model"]["path"] == out["model"]
    assert info["model"]["attack_version"] == "17.0"


def test_tfidf_rows_keeps_only_surviving_columns_and_matches_dense_tfidf() -> None:
    import numpy as np
    import scipy.sparse as sp

    from huntfeed.attack.train import tfidf_rows

    raw = sp.csr_matrix(np.array([[1.0, 0, 2.0, 0, 0], [1.0, 0, 0, 3.0, 0], [0, 0, 0, 0, 0], [1.0, 5.0, 1.0, 0, 0]]))
    x, used, idf = tfidf_rows(raw, min_df=2)
    assert used.tolist() == [0, 2] and x.shape == (4, 2) and x.dtype == np.float64
    assert idf[1] == 0 and idf[3] == 0 and idf[0] > 0
    dense = raw.toarray() * idf
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    expected = np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)[:, used]
    assert np.allclose(x.toarray(), expected)


def test_fold_rows_leave_out_only_the_held_out_documents(tmp_path: Path) -> None:
    from huntfeed.attack.train import training_corpus

    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    lab = load_labelled(_jsonl(tmp_path / "d.jsonl"))
    full, raw = training_corpus(cat, lab, TrainConfig())
    assert raw.shape[0] == len(full.texts) == len(full.groups)
    rows = full.without({"d0", "d1"})
    fold = full.subset(rows)
    assert "d0" not in fold.groups and "d1" not in fold.groups and "d2" in fold.groups
    assert len(rows) == len(full.texts) - sum(1 for g in full.groups if g in {"d0", "d1"})
    assert "It uses HTTPS for command and control." in fold.texts  # loose sentences stay in every fold


def test_model_records_its_character_ngrams(tmp_path: Path) -> None:
    cat = load_bundle(write_bundle(tmp_path / "b.json"))
    out = tmp_path / "m.npz"
    train(cat, load_labelled(_jsonl(tmp_path / "d.jsonl")), TrainConfig(folds=2, n_jobs=1, char_ngrams=(4, 4)), out)
    model = SentenceModel.load(out)
    assert model.char_ngrams == (4, 4)
    model.meta.pop("char_ngrams")
    assert model.char_ngrams == (3, 5)  # models saved before the setting existed


def test_unique_rows_merges_only_identical_text_with_identical_labels() -> None:
    from huntfeed.attack.train import Corpus, unique_rows

    corpus = Corpus()
    for text, labels in [
        ("Indicators of Compromise", set()),
        ("It injects into explorer.exe", {"T1055"}),
        ("Indicators of Compromise", set()),
        ("It injects into explorer.exe", {"T1055.002"}),
        ("Indicators of Compromise", set()),
    ]:
        corpus.add(text, labels)
    first, weight, inverse = unique_rows(corpus)
    assert first == [0, 1, 3] and weight.tolist() == [3.0, 1.0, 1.0]
    assert inverse.tolist() == [0, 1, 0, 2, 0]


def test_working_set_fit_reaches_the_full_fit() -> None:
    """Starting from a few rows and adding margin violators ends at the same classifier as fitting everything."""
    import numpy as np

    from huntfeed.attack.train import Corpus, fit_with_hints

    rng = np.random.default_rng(1)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    corpus = Corpus()
    for i in range(400):
        text = " ".join(rng.choice(words, size=8))
        label = {"T1055"} if "alpha bravo" in text or i % 37 == 0 else set()
        corpus.add(text + (" alpha bravo" if label else ""), label)
    cfg = TrainConfig(n_jobs=1, keep_per_class=10**6)
    every_row = {"T1055": np.ones(len(corpus.texts), dtype=bool)}  # the working set is the whole problem
    full, hints = fit_with_hints(corpus, cfg, classes=["T1055"], full_rows={"T1055"}, start=every_row)
    assert hints["T1055"].shape == (len(corpus.texts),)
    for start in ({"T1055": np.arange(len(corpus.texts)) % 10 == 0}, None):
        warm, _ = fit_with_hints(corpus, cfg, classes=["T1055"], full_rows={"T1055"}, start=start)
        a, b = full.weights.toarray().ravel(), warm.weights.toarray().ravel()
        assert np.allclose(a, b, atol=2e-3) and abs(float(full.bias[0] - warm.bias[0])) < 2e-3


def test_floor_ties_go_to_the_more_precise_setting() -> None:
    from huntfeed.attack.evaluate import tune_floor

    probs = [{"T1055": 0.95, "T1027": 0.21}, {"T1105": 0.8}]
    golds = [{"T1055"}, {"T1105"}]
    floor, _ef1, sc = tune_floor(probs, golds, None, min_precision=0.75)
    assert sc.per_doc_f1 == 1.0 and floor == 0.8  # every floor up to 0.8 scores 1.0: take the strictest
