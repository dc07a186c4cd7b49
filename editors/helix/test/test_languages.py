"""Checks editors/helix/languages.toml, since Helix itself cannot be installed here.

    python3 editors/helix/test/test_languages.py

Helix merges a user's languages.toml into its built-in one by language name, and a
key set there replaces the built-in value. This checks the result for mtlsguard:
every language lists mtlsguard next to Helix's default server, each of .bicep,
.bicepparam, .json and .jsonc ends up in exactly one of them, the language ids
Helix sends are ones the server analyzes, and a language Helix does not have
brings what Helix needs to load it (scope, grammar, file types, highlights).
"""

import pathlib
import re
import sys
import tomllib

HELIX_DIR = pathlib.Path(__file__).resolve().parent.parent
REPO = HELIX_DIR.parent.parent
DOCUMENTS_RS = REPO / "crates/mtlsguard/src/server/documents.rs"

# Helix's built-in entries for these languages (languages.toml at helix-editor/helix
# 079a789e8, July 2026), as far as this file relies on them. json's list is longer;
# only the extensions that matter here are kept.
HELIX_BUILTIN = {
    "bicep": {"file-types": ["bicep", "bicepparam"], "language-servers": ["bicep-langserver"]},
    "json": {"file-types": ["json"], "language-servers": ["vscode-json-language-server"]},
    "jsonc": {"file-types": ["jsonc"], "language-servers": ["vscode-json-language-server"]},
}
# Which language each extension must reach (the file type Helix picks is the one
# the language id sent to the server comes from).
WANTED = {"bicep": "bicep", "bicepparam": "bicep-params", "json": "json", "jsonc": "jsonc"}


def server_language_ids():
    """The languageIds LanguageId::from_client maps to Bicep or Json."""
    source = DOCUMENTS_RS.read_text()
    body = source[source.index("fn from_client") :]
    body = body[: body.index("\n    }\n")]
    ids = set()
    for arm in re.findall(r'^\s*((?:"[^"]*"\s*\|?\s*)+)=>\s*LanguageId::(Bicep|Json)', body, re.M):
        ids.update(re.findall(r'"([^"]+)"', arm[0]))
    assert "bicep" in ids and "json" in ids, f"could not read the language ids from {DOCUMENTS_RS}: {ids}"
    return ids


def main():
    cfg = tomllib.loads((HELIX_DIR / "languages.toml").read_text())
    server = cfg["language-server"]["mtlsguard"]
    assert server["command"] == "mtlsguard", server
    assert server["args"] == ["server"], server
    assert isinstance(server.get("config", {}).get("rules", {}), dict), "config.rules must be a table"

    accepted = server_language_ids()
    claimed = {}
    names = [lang["name"] for lang in cfg["language"]]
    assert len(names) == len(set(names)), f"a language is listed twice: {names}"
    for lang in cfg["language"]:
        name = lang["name"]
        builtin = HELIX_BUILTIN.get(name)
        merged = {**(builtin or {}), **lang}
        servers = [s if isinstance(s, str) else s["name"] for s in merged.get("language-servers", [])]
        assert "mtlsguard" in servers, f"{name}: mtlsguard not in {servers}"
        if builtin:
            for default in builtin["language-servers"]:
                assert default in servers, f"{name}: Helix's default server {default} was dropped: {servers}"
        file_types = merged.get("file-types", [])
        assert file_types, f"{name}: no file-types"
        language_id = merged.get("language-id", name)
        assert language_id in accepted, f"{name}: the server does not analyze languageId {language_id!r} ({sorted(accepted)})"
        if not builtin:
            for key in ("scope", "grammar", "file-types", "comment-token"):
                assert key in lang, f"{name} is not built into Helix and needs {key!r}"
            query = HELIX_DIR / "runtime/queries" / name / "highlights.scm"
            assert query.is_file(), f"{name}: missing {query.relative_to(REPO)}"
            grammar = lang["grammar"]
            assert f"; inherits: {grammar}" in query.read_text(), f"{query}: should inherit {grammar}"
        for ft in file_types:
            if isinstance(ft, str):
                claimed.setdefault(ft, []).append(name)
        print(f"{name}: file-types {file_types}, language-servers {servers}, languageId {language_id!r}")

    for ext, want in WANTED.items():
        got = claimed.get(ext, [])
        assert got == [want], f".{ext} must belong to {want} alone, is claimed by {got}"
    print("helix languages.toml: ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        sys.exit(f"helix languages.toml: {err}")
