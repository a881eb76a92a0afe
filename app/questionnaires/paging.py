"""How a questionnaire is cut into the pages a respondent answers: each section on pages of
at most MAX_QUESTIONS_PER_PAGE questions, shared evenly, so no page is a long scroll."""

from dataclasses import dataclass
from math import ceil

from app.questionnaires.schema import Item, Questionnaire, Section

# MAPS's own figure, not a finding: twelve rating questions fill about two desktop screens,
# the most a page can hold before its first questions are far out of sight.
MAX_QUESTIONS_PER_PAGE = 12


@dataclass(frozen=True)
class Page:
    section: Section
    number: int  # within its section, from 1
    of: int  # the section's pages
    items: tuple[Item, ...]
    first_number: int  # the question number (within the section) of the page's first item

    @property
    def path(self) -> str:
        """Where the page lives under a link: a section's first page keeps the section's URL."""
        base = f"s/{self.section.id}"
        return base if self.number == 1 else f"{base}/{self.number}"


def section_pages(section: Section) -> tuple[Page, ...]:
    count = max(1, ceil(len(section.items) / MAX_QUESTIONS_PER_PAGE))
    size, extra = divmod(len(section.items), count)
    pages, start = [], 0
    for number in range(1, count + 1):
        # The first `extra` pages take one more, so the pages differ by one question at most.
        end = start + size + (1 if number <= extra else 0)
        pages.append(Page(section, number, count, section.items[start:end], start + 1))
        start = end
    return tuple(pages)


def pages(questionnaire: Questionnaire) -> tuple[Page, ...]:
    """Every page of the questionnaire, in order."""
    return tuple(page for section in questionnaire.sections for page in section_pages(section))


def page_of(questionnaire: Questionnaire, item_id: str) -> Page | None:
    """The page that asks the item."""
    return next((p for p in pages(questionnaire) if any(i.id == item_id for i in p.items)),
                None)
