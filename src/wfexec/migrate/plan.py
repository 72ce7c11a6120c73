"""Plan a file's migration: look up every image that lacks `command`, then compute the new text.

Nothing is written here. A file is planned whole: one failed lookup fails the file, so the caller
never writes a half-migrated spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wfexec.commands import command_from_image
from wfexec.errors import MigrateError
from wfexec.migrate.image_config import ImageConfig
from wfexec.migrate.rewrite import Edit, apply_edits
from wfexec.migrate.specs import ContainerSite, file_containers, is_templated

Lookup = Callable[[str], ImageConfig]


@dataclass
class Change:
    """One container that gets a `command`."""

    path: str
    line: int | None
    image: str
    command: list[str]
    args: list[str] | None
    args_written: bool
    source: str


@dataclass
class FilePlan:
    file: Path
    before: str
    after: str
    changes: list[Change] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def needs_migration(self) -> bool:
        return self.after != self.before


def read_text(file: Path) -> str:
    with open(file, encoding="utf-8", newline="") as fh:
        return fh.read()


def _edit_for(site: ContainerSite, found: ImageConfig) -> tuple[Edit, Change]:
    given_args = site.node.get("args")
    given = list(given_args) if isinstance(given_args, list) else None
    if site.kind == "script":
        # Argo appends the script file as an argument, so what the image runs (ENTRYPOINT, else
        # CMD) becomes the command, and nothing becomes args.
        command = found.entrypoint or found.cmd
        args = None
    else:
        command, args = command_from_image(None, given, found.entrypoint, found.cmd)
    if not command:
        raise MigrateError(f"image {site.image!r} has neither ENTRYPOINT nor CMD ({found.source}), so there is "
                           "no command to write; set command by hand")
    rename = site.kind != "script" and given is not None and args is None and command == given
    write_args = site.kind != "script" and not rename and given is None and args is not None
    edit = Edit(site.node, [str(x) for x in command], [str(x) for x in args] if write_args and args else None,
                rename_args=rename)
    change = Change(site.path, site.line, str(site.image), edit.command, args if site.kind != "script" else None,
                    write_args or rename, found.source)
    return edit, change


def plan_file(file: Path, lookup: Lookup) -> FilePlan:
    """The migration of one file; MigrateError naming the file, the container and the image."""
    before = read_text(file)
    docs, sites = file_containers(file)
    plan = FilePlan(file, before, before)
    edits: list[Edit] = []
    for site in sites:
        if site.has_command:
            continue
        where = f"{file}:{site.line}" if site.line else str(file)
        if not site.image:
            plan.skipped.append(f"{where}: {site.path}: no image and no command")
            continue
        if is_templated(site.image):
            plan.skipped.append(f"{where}: {site.path}: image {site.image!r} is an expression; set command by hand")
            continue
        try:
            found = lookup(str(site.image))
            edit, change = _edit_for(site, found)
        except MigrateError as exc:
            raise MigrateError(f"{where}: {site.path}: {exc}; {file} was left unchanged") from None
        edits.append(edit)
        plan.changes.append(change)
    if edits:
        plan.after = apply_edits(before, docs, edits)
    return plan
