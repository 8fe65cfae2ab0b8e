"""Jinja for text formats (strongSwan configs, shell, Markdown); YAML is never templated."""

from __future__ import annotations

import functools
import shlex
from typing import Any

import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("generator", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shquote"] = shlex.quote
    return env


def render_template(template: str, /, **context: Any) -> str:
    return environment().get_template(template).render(**context)
