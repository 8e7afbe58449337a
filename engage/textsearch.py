"""Accent- and case-insensitive matching in SQL, the same on SQLite and PostgreSQL.

Moderators type "helene" for "Hélène" and "ETE" for "été". PostgreSQL's unaccent is an
extension a hosted database may not allow, so `folded(column)` compiles to a translate()
of Latin accented letters and lower() there, and to a Python function registered on each
SQLite connection (engage/extensions.py). fold_text folds the search words the same way.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
PLAIN = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy"
assert len(ACCENTED) == len(PLAIN)
_TABLE = str.maketrans(ACCENTED, PLAIN)


def fold_text(value: str | None) -> str | None:
    """Lower case without accents: "Élysée" -> "elysee"."""
    if value is None:
        return None
    return value.translate(_TABLE).lower()


def fold_words(query: str) -> list[str]:
    """The search's words, folded (composed first: a decomposed "é" folds like "é")."""
    words = [fold_text(word) or "" for word in unicodedata.normalize("NFC", query).split()]
    return [w for w in words if w][:8]  # a pasted paragraph is not a search


def like_pattern(word: str) -> str:
    """A LIKE pattern finding the word anywhere, its own % and _ taken literally."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class folded(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    type = String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"engage_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    accented = compiler.process(literal(ACCENTED), **kw)
    plain = compiler.process(literal(PLAIN), **kw)
    return f"lower(translate({compiler.process(element.clauses, **kw)}, {accented}, {plain}))"
