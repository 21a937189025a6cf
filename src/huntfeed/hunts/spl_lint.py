"""A small SPL tokenizer and lint: no maintained SPL parser exists, so we check what breaks searches.

Checks: balanced quotes, brackets and backticks; every pipeline stage starts with a known command;
``tstats ... from datamodel=X.Y`` names a CIM data model and data set, and the ``Y.field`` names it
uses belong to that data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Commands the generated searches and analysts' overrides may use.
KNOWN_COMMANDS = _words(
    """
        tstats search where eval stats eventstats streamstats table fields rename sort dedup head tail
        rex regex convert lookup inputlookup outputlookup append appendpipe join bin bucket timechart
        chart top rare fillnull makemv mvexpand spath transaction iplocation strcat format return union
        from datamodel makeresults sistats tojson
        """
)

# CIM data models and data sets we target, with the fields our searches may reference.
CIM_FIELDS: dict[str, frozenset[str]] = {
    "Endpoint.Processes": _words(
        """
        dest user process process_name process_path process_id process_guid process_hash
        process_current_directory process_integrity_level original_file_name parent_process
        parent_process_name parent_process_path parent_process_id parent_process_guid action
        vendor_product
        """
    ),
    "Endpoint.Filesystem": _words(
        """
        dest user file_name file_path file_hash file_create_time process_path process_id process_guid
        action
        """
    ),
    "Endpoint.Registry": _words(
        """
        dest user registry_path registry_key_name registry_value_name registry_value_data action
        process_path process_id process_guid
        """
    ),
    "Endpoint.Services": _words(
        """
        dest service_name service_path start_mode status user
        """
    ),
    "Network_Traffic.All_Traffic": _words(
        """
        src src_ip src_port dest dest_ip dest_port transport protocol app action bytes_out bytes_in user
        direction
        """
    ),
    "Network_Resolution.DNS": _words(
        """
        src dest dest_port query query_type answer record_type reply_code reply_code_id ttl
        transaction_id src_port
        """
    ),
    "Web.Web": _words(
        """
        src dest dest_ip url uri_path uri_query site http_method http_user_agent http_referrer status
        user bytes_out bytes_in http_content_type
        """
    ),
    "Web.Proxy": _words(
        """
        src dest dest_ip url uri_path uri_query http_method http_user_agent http_referrer status
        """
    ),
    "Email.All_Email": _words(
        """
        src src_user recipient subject file_name file_hash url action message_id orig_src
        """
    ),
    "Authentication.Authentication": _words(
        """
        src dest user app action signature authentication_method reason src_user
        """
    ),
    "Change.All_Changes": _words(
        """
        dest user object object_id object_path object_attrs object_category command action change_type result
        result_id src_user status
        """
    ),
}

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<macro>`[^`]*`)
  | (?P<pipe>\|)
  | (?P<lbracket>\[) | (?P<rbracket>\])
  | (?P<lparen>\() | (?P<rparen>\))
  | (?P<op><=|>=|!=|==|=|<|>|,)
  | (?P<word>[^\s"`|\[\]()=<>!,]+|!)
  | (?P<space>\s+)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    """One SPL token: its kind, text and offset."""

    kind: str
    text: str
    start: int


def tokenize(spl: str) -> list[Token]:
    """Split SPL into tokens; an unterminated quote or macro becomes an ``error`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(spl):
        m = _TOKEN.match(spl, pos)
        if m is None or m.lastgroup is None:
            tokens.append(Token("error", spl[pos:], pos))
            break
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup, m.group(), pos))
        pos = m.end()
    return tokens


def shape(spl: str) -> list[str]:
    """The query's structure: token kinds, with the text of everything that is not a string literal."""
    return [t.kind if t.kind == "string" else f"{t.kind}:{t.text}" for t in tokenize(spl)]


def lint_spl(spl: str) -> list[str]:
    """Problems found in one SPL search (empty when it looks sound)."""
    problems: list[str] = []
    tokens = tokenize(spl)
    if not tokens:
        return ["empty search"]
    depth: list[str] = []
    pairs = {"rparen": "lparen", "rbracket": "lbracket"}
    stage_start = True
    for tok in tokens:
        if tok.kind == "error":
            problems.append(f"unterminated quote or macro at offset {tok.start}")
            break
        if tok.kind in ("lparen", "lbracket"):
            depth.append(tok.kind)
        elif tok.kind in pairs:
            if not depth or depth[-1] != pairs[tok.kind]:
                problems.append(f"unbalanced {tok.text!r} at offset {tok.start}")
            else:
                depth.pop()
        if tok.kind == "pipe":
            stage_start = True
            continue
        if stage_start:
            stage_start = False
            if tok.kind == "word" and tok.text.lower() not in KNOWN_COMMANDS:
                problems.append(f"unknown command {tok.text!r} at offset {tok.start}")
            elif tok.kind not in ("word", "macro", "lbracket"):
                problems.append(f"a pipeline stage starts with {tok.text!r} at offset {tok.start}")
        if tok.kind == "lbracket":
            stage_start = True
    if depth:
        problems.append(f"{len(depth)} unclosed bracket(s)")
    problems.extend(_check_datamodels(spl, tokens))
    return problems


_DM = re.compile(r"datamodel\s*=\s*\"?([A-Za-z_]+)\.([A-Za-z_]+)")


def _check_datamodels(spl: str, tokens: list[Token]) -> list[str]:
    problems: list[str] = []
    models = {f"{m.group(1)}.{m.group(2)}" for m in _DM.finditer(spl)}
    for model in models:
        if model not in CIM_FIELDS:
            problems.append(f"unknown CIM data model/data set {model!r}")
    datasets = {m.split(".")[1]: CIM_FIELDS.get(m, frozenset()) for m in models}
    for n, tok in enumerate(tokens):
        if tok.kind != "word" or "." not in tok.text:
            continue
        if n >= 2 and tokens[n - 2].text.lower() == "datamodel" and tokens[n - 1].text == "=":
            continue
        prefix, _, name = tok.text.partition(".")
        if prefix in datasets and datasets[prefix] and name not in datasets[prefix]:
            problems.append(f"field {tok.text!r} is not in the CIM {prefix} data set")
    return problems
