"""The one text form the AI classifier sees, in training and at inference: CSET's preprocessing.

CSET's labelled arXiv files (``text`` = title + ". " + abstract) were preprocessed upstream and the
code is not published with them; the rules below were reverse-engineered from their texts and checked
on papers whose raw metadata we also hold (see ``tests/fixtures/labels/README.md``):

* lower case; accented letters folded to ASCII (``Schrödinger`` -> ``schrodinger``), any other
  non-ASCII character becomes a space;
* ASCII punctuation becomes a space, except ``. + = ^ ~ < > ` |`` which CSET keeps (so LaTeX
  ``K\\"ahler`` -> ``k ahler``, ``$x_1$`` -> ``x``, ``co-training`` -> ``co training``,
  ``system's`` -> ``system s``);
* free-standing numbers are removed (``2013``, ``1.96``, the ``5`` of ``10^{-5}``), while digits
  inside a token stay (``3d``, ``word2vec``, ``h2o``, ``33nd``); a number glued after a dot or a
  letter also stays (``mcnpx2.7.0``);
* runs of white space collapse to one space.

Training on the raw arXiv sample without this step would teach the model that capital letters and
LaTeX mean "not from the CSET file", so every text goes through :func:`normalise_text`.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata

#: ASCII punctuation CSET keeps in its texts.
KEPT_PUNCTUATION = ".+=^~<>`|"
_DROPPED_PUNCTUATION = "".join(ch for ch in string.punctuation if ch not in KEPT_PUNCTUATION)
_PUNCT_RE = re.compile("[" + re.escape(_DROPPED_PUNCTUATION) + "]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
# A number not glued to a word character or a dot on its left, nor to a word character on its right
# ("1.96" in "ecms=1.96 tev" goes; "24" in "24.4s" goes, leaving ".4s", exactly as in CSET's texts).
_NUMBER_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?!\w)")
_SPACE_RE = re.compile(r"\s+")


def normalise_string(text: str | None) -> str:
    """Apply CSET's preprocessing to one string (see the module docstring)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NON_ASCII_RE.sub(" ", text)
    text = _PUNCT_RE.sub(" ", text)
    text = _NUMBER_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def normalise_text(title: str | None, abstract: str | None) -> str:
    """Title and abstract -> the classifier's input, in the form of CSET's ``text`` field.

    CSET joins ``title + ". " + abstract`` before cleaning; a record with only one of the two gives
    that one alone.
    """
    title = (title or "").strip()
    abstract = (abstract or "").strip()
    if title and abstract:
        return normalise_string(f"{title}. {abstract}")
    return normalise_string(title or abstract)


def text_hash(text: str) -> str:
    """Stable key of a (normalised) text for the embedding cache: sha1 hex of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
