"""What a board member's pages say about the questionnaire as a whole: its parts as a task
list (not started, in progress, completed), each question's number through the whole
questionnaire, and the rows of "Check your answers". All of it is read from the pages the
member is asked (paging.pages), so whatever decides those pages decides these too."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from app.questionnaires.paging import Page
from app.questionnaires.schema import Item, Section


class PartState(StrEnum):
    """A part's state in the task list, in the GOV.UK pattern's words."""

    not_started = "Not started"
    in_progress = "In progress"
    completed = "Completed"


@dataclass(frozen=True)
class Part:
    """One part of the questionnaire, as its pages ask it."""

    number: int  # from 1, in the order asked
    section: Section
    pages: tuple[Page, ...]
    answered: frozenset[str]  # the ids of its questions that have an answer

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for page in self.pages for item in page.items)

    @property
    def answered_count(self) -> int:
        return sum(item.id in self.answered for item in self.items)

    @property
    def state(self) -> PartState:
        done = self.answered_count
        if done == 0:
            return PartState.not_started
        return PartState.completed if done == len(self.items) else PartState.in_progress

    @property
    def next_page(self) -> Page:
        """Where the task list sends the member: the part's first page with a question
        unanswered, or its first page when none is."""
        return next((page for page in self.pages
                     if any(item.id not in self.answered for item in page.items)),
                    self.pages[0])


def parts(pages: Sequence[Page], answered: Collection[str]) -> tuple[Part, ...]:
    """The parts of the questionnaire in the order their pages come."""
    by_section: dict[str, list[Page]] = {}
    for page in pages:
        by_section.setdefault(page.section.id, []).append(page)
    done = frozenset(answered)
    return tuple(Part(number, group[0].section, tuple(group), done)
                 for number, group in enumerate(by_section.values(), start=1))


def question_numbers(pages: Sequence[Page]) -> dict[str, int]:
    """Each question's number through the whole questionnaire, from 1, in the order asked."""
    items = (item for page in pages for item in page.items)
    return {item.id: number for number, item in enumerate(items, start=1)}


SEALED = "Answered in an earlier browser (kept and counted, not shown)"


class AnswerRow(NamedTuple):
    """A question as "Check your answers" and the member's copy of their answers list it."""

    number: int  # through the whole questionnaire
    item: Item
    page: Page  # where it is asked
    answer: str | None  # the chosen answer's label; None: not answered, or sealed
    comment: str | None
    sealed: bool  # answered in a browser the member no longer has: kept, never shown

    @property
    def unanswered(self) -> bool:
        return self.answer is None and not self.sealed

    @property
    def shown(self) -> str:
        """The answer in words, as every copy of it says it."""
        if self.sealed:
            return SEALED
        return self.answer or "Not answered"


class Saved(NamedTuple):
    value: str | None
    comment: str | None


def answer_rows(pages: Sequence[Page], saved: Mapping[str, Saved],
                sealed: Collection[str] = ()) -> list[tuple[Part, list[AnswerRow]]]:
    """Every question asked, by part, with what the member saved for it. A sealed answer
    (see `sealed`) shows neither its answer nor its comment."""
    numbers = question_numbers(pages)
    answered = {item_id for item_id, s in saved.items() if s.value is not None}
    rows = []
    for part in parts(pages, answered):
        part_rows = []
        for page in part.pages:
            for item in page.items:
                kept = saved.get(item.id, Saved(None, None))
                hidden = item.id in sealed
                option = item.scale.option(kept.value) if kept.value and not hidden else None
                part_rows.append(AnswerRow(numbers[item.id], item, page,
                                           option.label if option else None,
                                           None if hidden else kept.comment, hidden))
        rows.append((part, part_rows))
    return rows
