"""French typography, by the rules of the Imprimerie nationale, in every French string that
readers and moderators see: the widget's (static/src/strings-fr.js) and the moderation catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
NNBSP, NBSP = "\u202f", "\u00a0"


def widget_french_strings() -> list[str]:
    source = (ROOT / "static/src/strings-fr.js").read_text(encoding="utf-8")
    french = source[source.index("export default"):]
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.)*)`', french)
    # Template literals: their ${…} parts are code, not text.
    texts = [re.sub(r"\$\{[^}]*\}", "0", a or b) for a, b in literals]
    return [t for t in texts if re.search(r"[a-zà-ÿ]{2}", t, re.I) and t not in {"fr"}]


def catalog_french_strings() -> list[str]:
    path = ROOT / "engage/translations/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalog = read_po(po)
    texts: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts += [s for s in strings if s]
    return texts


def problems(text: str) -> list[str]:
    found = []
    # Placeholders (%(name)s, {name}) and markup are not prose.
    prose = re.sub(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}|<[^>]+>|&[a-z]+;|https?://\S+", "0", text)
    for match in re.finditer(r"[!?;]", prose):
        if match.start() and prose[match.start() - 1] != NNBSP:
            found.append(f"{match.group()!r} needs U+202F before it")
    for match in re.finditer(":", prose):
        i = match.start()
        if i and prose[i - 1].isdigit() and prose[i + 1: i + 2].isdigit():
            continue  # a time, 12:30
        if not i or prose[i - 1] != NBSP:
            found.append("':' needs U+00A0 before it")
    if re.search("«(?!\u202f)", prose) or re.search("(?<!\u202f)»", prose):
        found.append("« » need U+202F inside")
    if "'" in prose:
        found.append("typographic apostrophe ’, not '")
    if re.search(r"\d[ \u00a0]\d{3}\b", prose):
        found.append("thousands are separated by U+202F")
    if re.search(r"\w·\w", prose):
        found.append("no inclusive-writing forms (·e)")
    if re.search(r" [!?;:»]|« ", prose):
        found.append("a plain space where a no-break one belongs")
    return found


@pytest.mark.parametrize(
    "text",
    [
        "Merci ! Votre", "Pourquoi ?", "lien : copiez", "« oui »", "l'instant", "5 000",
        "déconnecté·e",
    ],
)
def test_rules_catch_what_they_should(text):
    assert problems(text)


@pytest.mark.parametrize(
    "text",
    [f"Merci{NNBSP}!", f"lien{NBSP}: copiez", f"«{NNBSP}oui{NNBSP}»", "l’instant", f"5{NNBSP}000",
     "à 12:30", "Voir https://example.org/?a=1;b"],
)
def test_rules_leave_good_french_alone(text):
    assert problems(text) == []


def test_widget_french_strings_follow_french_typography():
    texts = widget_french_strings()
    assert len(texts) > 60  # the reading found the strings
    bad = {text: problems(text) for text in texts if problems(text)}
    assert bad == {}


def test_moderation_catalog_follows_french_typography():
    texts = catalog_french_strings()
    assert len(texts) > 100
    bad = {text: problems(text) for text in texts if problems(text)}
    assert bad == {}
