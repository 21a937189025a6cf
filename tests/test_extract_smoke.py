"""First smoke test of the extraction interface the pipeline calls."""

from huntfeed.extract import ExtractContext, defang, extract, refang
from huntfeed.model import Fidelity, IndicatorType


def test_defanged_url_is_high_and_offsets_point_at_raw() -> None:
    text = "C2: hxxps://evil[.]com/gate.php was contacted"
    (url,) = extract(text)
    assert url.type is IndicatorType.URL
    assert url.value == "https://evil.com/gate.php"
    assert text[url.start : url.end] == url.raw == "hxxps://evil[.]com/gate.php"
    assert url.defanged and url.fidelity is Fidelity.HIGH


def test_own_site_is_low() -> None:
    text = "Read more at https://blog.vendor.com/post and evil[.]net"
    found = extract(text, all=True, context=ExtractContext(source_url="https://blog.vendor.com/x"))
    reasons = {i.value: i.reason for i in found}
    assert reasons["https://blog.vendor.com/post"] == "own-site"
    assert [
        i.value for i in extract(text, context=ExtractContext(source_url="https://blog.vendor.com/x"))
    ] == ["evil.net"]


def test_refang_defang_round_trip() -> None:
    assert refang(defang("https://evil.com/a", IndicatorType.URL)) == "https://evil.com/a"
