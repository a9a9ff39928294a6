"""One line per figure: name, value, floor, ratio (value / floor) and the goal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    floor: float
    unit: str
    goal: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.floor if self.floor else float("inf")

    def line(self) -> str:
        return f"{self.name:<44} {self.value:>12.2f} {self.unit:<8} floor {self.floor:>12.2f}  ratio {self.ratio:>6.2f}  {self.goal}"


def print_figures(figures: list[Figure]) -> None:
    for figure in figures:
        print(figure.line(), flush=True)
