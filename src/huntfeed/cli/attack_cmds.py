"""`huntfeed attack ...`: the ATT&CK bundle, the classifier and one-off inference."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import click

from huntfeed.paths import data_dir


@click.group("attack")
def attack_group() -> None:
    """ATT&CK bundle, model and technique inference.

    \b
    Examples:
      huntfeed attack info
      huntfeed attack update
      huntfeed attack infer report.txt
    """


@attack_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def info_cmd(as_json: bool) -> None:
    """Show the ATT&CK version, date and object counts in use.

    Example: huntfeed attack info --json
    """
    from huntfeed.attack.engine import bundle_path, load_catalog, model_path

    root = data_dir()
    cat = load_catalog(root)
    model = model_path(root)
    meta: dict[str, object] = {}
    if model.exists():
        from huntfeed.attack.classifier import SentenceModel

        meta = SentenceModel.load(model).meta
    out = {
        "version": cat.version,
        "date": cat.date,
        "spec_version": cat.spec_version,
        "source": cat.source,
        "downloaded": bundle_path(root).exists(),
        "counts": cat.counts(),
        "model": {"path": str(model), "present": model.exists(), **meta},
    }
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"ATT&CK Enterprise {cat.version} ({cat.date}), STIX {cat.spec_version}")
    click.echo(f"source: {cat.source}")
    for key, value in cat.counts().items():
        click.echo(f"  {key:14} {value}")
    trained = meta.get("attack_version", "?")
    click.echo(f"model: {model} ({'trained on ATT&CK ' + str(trained) if model.exists() else 'missing'})")


@attack_group.command("update")
@click.option("--url", help="Bundle URL (default: MITRE attack-stix-data enterprise-attack.json).")
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Install a local bundle file (.json or .json.gz) instead of downloading.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def update_cmd(url: str | None, file_: Path | None, as_json: bool) -> None:
    """Download (or copy) an Enterprise bundle into the data folder, verified and replaced atomically.

    The previous bundle is kept next to it as enterprise-attack.json.previous.

    \b
    Examples:
      huntfeed attack update
      huntfeed attack update --file enterprise-attack-18.1.json.gz
    """
    from huntfeed.attack.update import update

    if url and file_:
        raise click.UsageError("give --url or --file, not both")
    cat, previous = update(data_dir(), url=url, file=file_)
    out = {
        "version": cat.version,
        "date": cat.date,
        "counts": cat.counts(),
        "previous": str(previous) if previous else None,
    }
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"installed ATT&CK {cat.version} ({cat.date}); previous bundle kept: {previous or 'none'}")
    click.echo("the classifier was trained on an earlier bundle? rebuild it with: huntfeed attack train")


@attack_group.command("train")
@click.option(
    "--extra",
    "extra",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled reports (TRAM2 JSONL or TRAM report JSON); repeatable.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: <data folder>/attack/model.npz).",
)
@click.option("--folds", default=5, show_default=True, help="Folds for calibrating on labelled reports.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def train_cmd(extra: tuple[Path, ...], out: Path | None, folds: int, as_json: bool) -> None:
    """Rebuild the technique classifier from the bundle in use plus optional labelled reports.

    \b
    Example:
      huntfeed attack train --extra ../shared/eval/ttp_train.jsonl
    """
    from huntfeed.attack.build import train
    from huntfeed.attack.engine import MODEL_NAME, load_catalog
    from huntfeed.attack.labelled import Labelled, load_labelled
    from huntfeed.attack.train import TrainConfig

    root = data_dir()
    cat = load_catalog(root)
    labelled = Labelled()
    for path in extra:
        labelled.extend(load_labelled(path))
    target = out or root / "attack" / MODEL_NAME

    def log(msg: str) -> None:
        if not as_json:
            click.echo(f"[{time.strftime('%H:%M:%S')}] {msg}", err=True)

    report = train(cat, labelled, TrainConfig(folds=folds), target, log=log)
    result = {
        "model": str(target),
        "seconds": round(report.seconds, 1),
        "classes": report.classes,
        "texts": report.texts,
        "attack_version": cat.version,
        "combiner": report.combiner.to_dict() | {"tech_bias": None},
        "out_of_fold": dataclasses.asdict(report.oof) if report.oof else None,
    }
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(
            f"wrote {target}: {report.classes} techniques from {report.texts} texts in {report.seconds:.0f}s"
        )


@attack_group.command("infer")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def infer_cmd(path: Path, as_json: bool) -> None:
    """Infer ATT&CK techniques, actors and kill-chain phases of a plain-text report.

    Example: huntfeed attack infer report.txt --json
    """
    from huntfeed.attack.engine import AttackEngine

    engine = AttackEngine.load()
    inf = engine.infer(path.read_text(encoding="utf-8", errors="replace"))
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(inf), indent=2))
        return
    click.echo(f"ATT&CK {inf.attack_version}; kill chain: {', '.join(inf.kill_chain_phases) or '-'}")
    for hit in inf.observed:
        ev = hit.evidence[0].text[:100] if hit.evidence else ""
        click.echo(f"  {hit.confidence:.2f} {hit.id:10} {hit.name} [{', '.join(hit.methods)}] {ev}")
    if inf.actors:
        click.echo("actors: " + ", ".join(f"{a.name} ({a.kind})" for a in inf.actors))
    if inf.associated:
        click.echo(f"associated (not observed): {len(inf.associated)} techniques")


commands: list[click.Command] = [attack_group]
