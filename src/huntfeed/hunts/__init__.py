"""Use cases, IOC sweeps and their queries: SPL over CIM, plain SPL, Defender KQL, Sentinel, Sigma."""

from huntfeed.hunts.imported import ImportedRule
from huntfeed.hunts.library import HuntLibrary
from huntfeed.hunts.sweeps import build_sweeps
from huntfeed.hunts.usecase import UseCase, load_usecase, load_usecases

__all__ = ["HuntLibrary", "ImportedRule", "UseCase", "build_sweeps", "load_usecase", "load_usecases"]
