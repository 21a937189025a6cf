from huntfeed.model import Article, Severity, TextSource


def _article(text: str, source: TextSource = TextSource.RSS_SUMMARY) -> Article:
    return Article(url="https://example.org/post", title="t", text=text, text_source=source)


def test_content_hash_tracks_text_and_source() -> None:
    a = _article("summary only")
    assert a.content_hash == _article("summary only").content_hash
    assert a.content_hash != _article("full write-up").content_hash
    assert a.content_hash != _article("summary only", TextSource.FULL_ARTICLE).content_hash


def test_profile_id_is_stable_per_url() -> None:
    assert _article("a").profile_id == _article("b").profile_id
    assert len(_article("a").profile_id) == 16


def test_severity_order() -> None:
    ranks = [s.rank for s in (Severity.LOW, Severity.MED, Severity.HIGH, Severity.CRITICAL)]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
