"""The template's fast forms give what their plain forms give.

`parameterize` writes some rules in a form that is cheaper for the regular expression engine
or the interpreter; each is compared here with the plain form it replaced, on text built from
the characters those rules look at, so a later edit that changes a result fails here.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from autotriage.understanding import parameterize
from autotriage.understanding.parameterize import template

# The plain forms, as they were written before the fast ones.
PLAIN_RUN = re.compile(r"<\*>(?:[\s/.,:_=&?-]*<\*>)+")
PLAIN_OPTIONAL = re.compile(r"(?: |(?<!=))(?:\((?:<\*>)?\)|\[(?:<\*>)?\])(?=[\s,.;:!?)\]}'\"]|$)")
PLAIN_NAME_WORDS = frozenset({"user", "User", "users", "username", "Username"})

PIECES = ["<*>", " ", "(", ")", "[", "]", "=", "<", ">", "*", ".", ":", "-", "/", "\t", "x", ","]
WORDS = ["user", "User", "users", "admin", "<*>", "5", "Jun", "KB", "from", "x=1", "(a)", "[b]"]
pieces_text = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
word_text = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)


@settings(max_examples=3000, deadline=None)
@given(pieces_text)
def test_the_possessive_run_folds_what_the_plain_one_folds(text: str) -> None:
    assert parameterize._RUN.sub("<*>", text) == PLAIN_RUN.sub("<*>", text)


@settings(max_examples=3000, deadline=None)
@given(pieces_text)
def test_the_literal_first_optional_drops_what_the_plain_one_drops(text: str) -> None:
    assert parameterize._OPTIONAL.sub("", text) == PLAIN_OPTIONAL.sub("", text)


def _plain_names(words: list[str], pieces: list[str]) -> list[str]:
    out = list(pieces)
    for i in range(len(out) - 1):
        if words[i] in PLAIN_NAME_WORDS and out[i] == words[i]:
            out[i + 1] = "<*>"
    return out


@settings(max_examples=1000, deadline=None)
@given(word_text)
def test_the_word_after_a_name_word_is_data_as_in_the_plain_loop(message: str) -> None:
    words = message.split()
    pieces = [parameterize._SEEN[w] for w in words]
    expected = " ".join(_plain_names(words, pieces))
    # Only the name rule applies to these words when no unit or date mark is left.
    if "<?>" not in expected and "<u>" not in expected:
        got = parameterize._resolve_words(words, list(pieces), " ".join(pieces))
        assert got == expected


def test_known_words_and_new_words_give_one_template() -> None:
    # The word caches hold pieces only: a cold and a warm pass agree.
    messages = ["invalid user user from 10.0.0.1", "took 5 ms (3 KB) at Jun 4", "a=[] b=(1)"]
    parameterize.clear_caches()
    cold = [template(m) for m in messages]
    warm = [parameterize.compute_template(m) for m in messages]
    assert cold == warm
    assert cold[0] == "invalid user <*> from <*>"
