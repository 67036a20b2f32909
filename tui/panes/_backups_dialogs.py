"""The Backups pane's dialogs: the restore options, and a one-line prompt with a value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList

from tui.widgets import PromptScreen

__all__ = [
    "OPTIONS",
    "RestoreChoice",
    "RestoreDialog",
    "ToggleList",
    "ValuePrompt",
    "component_label",
]

#: The restore switches besides the components: (value, label).
OPTIONS: tuple[tuple[str, str], ...] = (
    ("update_existing", "update existing"),
    ("role_sync", "role sync (removes roles)"),
    ("dry_run", "dry run (change nothing)"),
)


def component_label(name: str) -> str:
    """``server_settings`` → ``server settings``."""
    return name.replace("_", " ")


@dataclass(frozen=True)
class RestoreChoice:
    """What the operator chose in the restore dialog."""

    components: tuple[str, ...]
    update_existing: bool = False
    role_sync: bool = False
    dry_run: bool = False


class ToggleList(OptionList):
    """Options ticked and unticked with ``space`` or ``enter``, each shown as ``[x] name`` or
    ``[ ] name`` (in words, not only in colour).

    Args:
        options: (value, label) pairs, in order.
        ticked: The values ticked at first.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "tick", "Tick/untick", show=False),
    ]

    def __init__(
        self, options: list[tuple[str, str]], ticked: set[str], *, id: str | None = None
    ) -> None:
        self.values = [value for value, _ in options]
        self.labels = dict(options)
        self.ticked = {value for value in ticked if value in self.labels}
        super().__init__(*(self._prompt(value) for value in self.values), id=id, compact=True)

    def _prompt(self, value: str) -> Text:
        mark = "[x]" if value in self.ticked else "[ ]"
        return Text(f"{mark} {self.labels[value]}", style="bold" if value in self.ticked else "")

    def on_mount(self) -> None:
        self.highlighted = 0

    def action_tick(self) -> None:
        index = self.highlighted
        if index is None:
            return
        value = self.values[index]
        self.ticked ^= {value}
        self.replace_option_prompt_at_index(index, self._prompt(value))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # enter ticks too
        self.action_tick()

    def selected(self) -> list[str]:
        """The ticked values, in order."""
        return [value for value in self.values if value in self.ticked]


class RestoreDialog(ModalScreen[RestoreChoice | None]):
    """Pick the components to restore and the switches; ``esc`` cancels (None).

    Args:
        title: What is restored into what (the border title).
        components: Every component, in the order a restore applies them.
        selected: The components ticked at first.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, title: str, components: list[str], selected: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.components = list(components)
        self.initial = set(selected)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="restore-dialog") as box:
            box.border_title = self.title_text
            with Horizontal(id="restore-lists"):
                with Vertical():
                    yield Label(Text("Components", style="bold"))
                    yield ToggleList(
                        [(name, component_label(name)) for name in self.components],
                        self.initial,
                        id="restore-components",
                    )
                with Vertical():
                    yield Label(Text("Options", style="bold"))
                    yield ToggleList(list(OPTIONS), set(), id="restore-options")
            yield Label(Text("space: tick/untick · tab: next · esc: cancel"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Restore", variant="error", id="restore-go")
                yield Button("Cancel", variant="primary", id="restore-cancel")

    def on_mount(self) -> None:
        self.query_one("#restore-components", ToggleList).focus()

    def choice(self) -> RestoreChoice:
        """What is ticked now."""
        switches = set(self.query_one("#restore-options", ToggleList).selected())
        return RestoreChoice(
            components=tuple(self.query_one("#restore-components", ToggleList).selected()),
            update_existing="update_existing" in switches,
            role_sync="role_sync" in switches,
            dry_run="dry_run" in switches,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.choice() if event.button.id == "restore-go" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ValuePrompt(PromptScreen):
    """A :class:`PromptScreen` whose field starts with ``value`` (a note, a schedule)."""

    def __init__(self, title: str, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(title, question, placeholder)
        self.value = value

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.value = self.value
        field.cursor_position = len(self.value)
        field.focus()
