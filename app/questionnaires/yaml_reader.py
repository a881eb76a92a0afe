"""Reading YAML with the line of every value kept, and without what a definition never needs:
aliases, and a key written twice (YAML itself keeps the last one silently)."""

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]  # keys and list positions from the top of the document


@dataclass
class Document:
    data: Any
    # The line (from 1) each value starts on; for a mapping's value, the line of its key.
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    def line_of(self, path: Path) -> int | None:
        """The line of the deepest part of the path that is in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def at(self, path: Path) -> Any:
        """The value at a path, or None when the file has nothing there."""
        value = self.data
        for step in path:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        return value


class _Loader(yaml.SafeLoader):
    # The pure-Python loader on purpose: libyaml's CSafeLoader is faster but crashes the
    # process (a segfault, not an exception) on deeply nested input such as 100,000 "[".

    def compose_node(self, parent, index):
        # An alias re-uses a value by reference, so a few lines of them can stand for billions
        # of values (the "billion laughs"); a definition has no need of them.
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed: write each value out",
                self.peek_event().start_mark)
        return super().compose_node(parent, index)


def read_yaml(text: str) -> Document:
    """Parse YAML text; raises yaml.YAMLError (with its place) when it is not valid YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        document = Document(None)
        if node is not None:
            document.data = _value(loader, node, (), document)
        return document
    finally:
        loader.dispose()


def _value(loader: _Loader, node: yaml.Node, path: Path, document: Document) -> Any:
    document.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, (*path, index), document)
                for index, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        mapping: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain word or number", key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in mapping:
                first = document.lines[(*path, key)]
                document.duplicates.append((line, f"key '{key}' is written twice (also on "
                                                  f"line {first}): remove one of them"))
                continue
            document.lines[(*path, key)] = line
            mapping[key] = _value(loader, value_node, (*path, key), document)
        return mapping
    return loader.construct_object(node, deep=True)
