from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.yamlout import Commented, dump, dump_all, plain, scalar, written_as_is

GOLDEN_DOC = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": {"name": "reviews", "namespace": "default"},
    "spec": {
        "hosts": ["reviews"],
        "http": [
            {
                "match": [{"headers": {"end-user": {"exact": "jason"}}}],
                "route": [{"destination": {"host": "reviews", "subset": "v2"}}],
            },
            {"route": [{"destination": {"host": "reviews", "subset": "v3"}}]},
        ],
    },
}

GOLDEN_TEXT = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
spec:
  hosts:
    - reviews
  http:
    - match:
        - headers:
            end-user:
              exact: jason
      route:
        - destination:
            host: reviews
            subset: v2
    - route:
        - destination:
            host: reviews
            subset: v3
"""


def test_golden_layout() -> None:
    assert dump(GOLDEN_DOC) == GOLDEN_TEXT


def test_key_order_is_kept_not_sorted() -> None:
    assert dump({"z": 1, "a": 2}) == "z: 1\na: 2\n"


def test_quoting_keeps_types() -> None:
    doc = {"a": "true", "b": "10", "c": "%forever", "d": "*", "e": "", "f": "1.0", "g": None,
           "h": "on", "i": "x: y", "j": "- item", "k": "#no", "l": " padded"}
    text = dump(doc)
    assert yaml.safe_load(text) == doc
    assert "c: '%forever'" in text
    assert "d: '*'" in text


def test_comments_sit_above_their_keys() -> None:
    doc = {"ipsec": {"auto": Commented("start", "this end initiates\nthe peer listens")}}
    assert dump(doc) == ("ipsec:\n  # this end initiates\n  # the peer listens\n"
                         "  auto: start\n")


def test_comment_on_first_key_of_a_list_item() -> None:
    doc = {"items": [{"a": Commented(1, "note"), "b": 2}]}
    assert dump(doc) == "items:\n  # note\n  - a: 1\n    b: 2\n"
    assert yaml.safe_load(dump(doc)) == plain(doc)


def test_multiline_text_uses_a_literal_block() -> None:
    doc = {"script": "set -e\necho hi\n", "strip": "a\nb"}
    text = dump(doc)
    assert "script: |\n  set -e\n  echo hi\n" in text
    assert "strip: |-\n  a\n  b\n" in text
    assert yaml.safe_load(text) == doc


def test_no_line_folding() -> None:
    long = "x " * 200
    assert len(dump({"k": long.strip()}).splitlines()) == 1


def test_empty_collections_and_documents() -> None:
    assert dump({"a": {}, "b": [], "c": [{}]}) == "a: {}\nb: []\nc:\n  - {}\n"
    assert dump_all([{"a": 1}, {"b": 2}]) == "a: 1\n---\nb: 2\n"


keys = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1,
               max_size=12)
scalars = (st.none() | st.booleans() | st.integers(-(10**12), 10**12)
           | st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30))
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, values, max_size=6))
def test_round_trip(doc: dict[str, Any]) -> None:
    assert yaml.safe_load(dump(doc)) == (doc or {})


WORDS = st.one_of(st.text(max_size=12), st.sampled_from(
    ["yes", "No", "null", "~", "123", "1.5", "0x1F", "1:20", "1:2:3:4:5:6:7:8", "2001:db8::",
     "10.0.0.0/16", "c001", "a: b", "- x", "#x", "x #y", "'q'", "@x", "x,y", " x", "x ", ""]))


@given(st.lists(WORDS, max_size=20))
def test_written_as_is_is_what_scalar_writes(texts: list[str]) -> None:
    assert written_as_is(texts) == {t for t in texts if scalar(t) == t}
