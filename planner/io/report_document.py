"""A report as plain data: sections of paragraphs, tables and images.

The plan's content is assembled once (planner.model.report) and written by each format's
writer (HTML, PDF), so both carry exactly the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DISCLAIMER = ("Pedicle Planner supports planning and training. It is not a certified "
              "medical device: every plan must be checked by the operator on the "
              "patient's images.")


@dataclass
class Paragraph:
    text: str
    style: str = "body"          # "body", "note", "alert"


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    verdict_column: int | None = None     # a column whose cells are verdicts (coloured)
    widths: list[float] | None = None     # relative column widths (None: even)


@dataclass
class Figure:
    png: bytes
    caption: str
    width_mm: float = 80.0


@dataclass
class Section:
    title: str
    blocks: list[Paragraph | Table | Figure | list[Figure]] = field(default_factory=list)
    new_page: bool = False


@dataclass
class ReportDocument:
    title: str
    banner: str                  # patient, study and series (or "de-identified")
    generated: str
    sections: list[Section]
    disclaimer: str = DISCLAIMER

    def text(self) -> str:
        """Every word of the report (for searching and tests)."""
        out = [self.title, self.banner, self.generated, self.disclaimer]
        for s in self.sections:
            out.append(s.title)
            for b in s.blocks:
                for x in (b if isinstance(b, list) else [b]):
                    if isinstance(x, Paragraph):
                        out.append(x.text)
                    elif isinstance(x, Table):
                        out += [x.caption, " ".join(x.columns)]
                        out += [" ".join(r) for r in x.rows]
                    else:
                        out.append(x.caption)
        return "\n".join(out)
