from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def knowledge() -> Any:
    """The analysis knowledge bundle, loaded once for every hostile module."""
    from huntfeed.model import Article, TextSource
    from huntfeed.pipeline import Knowledge, analyse

    kb = Knowledge.load()
    # The first analysis pays one-off set-up costs; pay them here, outside any run under test.
    analyse(Article(url="http://warm.example/", title="warm", text="warm up evil[.]example",
                    text_source=TextSource.DOCUMENT), kb)
    return kb
