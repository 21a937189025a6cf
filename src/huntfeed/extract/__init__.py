"""huntfeed.extract: indicators of compromise out of report text, with fidelity and reasons.

from huntfeed.extract import extract, refang, defang, ExtractContext
extract("C2: hxxps://evil[.]com/gate.php", all=True)
"""

from huntfeed.extract.engine import ExtractContext, extract
from huntfeed.extract.fang import defang, refang

__all__ = ["ExtractContext", "defang", "extract", "refang"]
