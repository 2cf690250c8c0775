"""Full-text search over the cases an officer can open, decrypted for one request only.

There is no index of report text, on disk or anywhere else: an index would be plaintext at
rest (DESIGN.md, security model 1). A search therefore opens each case it looks at with the
officer's own key, as the case page does, and compares in memory:

- Which cases: the ``limit`` most recent (by received day) of those the inbox filters
  select, the officer's key checked for each (``inbox.selected_ids``); when more exist the
  result says of how many (``available``), so the page can ask to narrow the dates.
- What is searched: the report's own text fields (not the identity section a reporter
  gave apart, which stays out of searches as it stays out of exports), every message of
  the conversation, and the internal notes. Not attachments or the reasons of case steps.
- How it matches: every word of the query must occur somewhere in the case, as part of a
  word, ignoring case and accents (casefold, then NFKD with the combining marks dropped:
  "ŠIUKŠLĖS" finds "šiukšlės" and "siuksles", "Tromsø" finds "TROMSØ"; ø and æ are letters
  of their own and stay).
- What is kept: nothing. The query and the decrypted texts live in this request's memory
  only; no log line, audit entry or page carries them (the audit entry says that a search
  ran, over how many cases). Results list plaintext metadata only, no excerpts: reading a
  case means opening it, which is recorded as ever.
- A case whose key or text does not open (a broken copy, a key taken away meanwhile) is
  counted as unreadable and skipped.

Cost: one key unsealing (ML-KEM-768 + X25519) and a few AES-GCM openings per case, so a
search grows with ``limit`` and not with the institution; bench/inbox.py measures 1 000 and
10 000 cases.
"""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import load_only

from app.crypto.envelope import DecryptionError
from app.extensions import db
from app.models import CaseNote, Institution, Message, MinutesVersion, Report, User
from app.services import audit
from app.services.casefile.content import open_json
from app.services.casefile.deadlines import today
from app.services.casefile.sealing import officer_copies, officer_data_key
from app.services.casework.inbox import (
    InboxFilter,
    InboxRow,
    counts,
    listed_rows,
    selected_count,
    selected_ids,
)
from app.services.casework.opened_case import OpenedCase, note_text

MAX_QUERY_LENGTH = 200  # characters: a few words, not a document
SHOWN = 100  # matches listed on the page, the first in the order chosen
BATCH = 200  # cases whose ciphertexts are read per round trip
# Values of the report body that are codes or numbers, not what the reporter wrote.
CODE_FIELDS = frozenset({"urgency", "reported_elsewhere", "language", "excluded_officers"})


def folded(text: str) -> str:
    """Text as compared: case folded, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_words(query: str) -> tuple[str, ...]:
    """The words of a query, folded; each must occur in a case for it to match."""
    return tuple(dict.fromkeys(folded(query).split()))


@dataclass(frozen=True)
class SearchResult:
    """What a search found, and how far it looked."""

    rows: list[InboxRow]  # up to SHOWN matches, in the chosen order
    matched: int  # cases that matched, listed or not
    searched: int  # cases taken into the search (readable or not)
    available: int  # cases the filters select; more than ``searched`` when cut
    unreadable: int  # cases taken that did not open, skipped
    counts: dict[str, int]

    @property
    def cut(self) -> bool:
        """The limit left older cases out of the search."""
        return self.available > self.searched


def _report_texts(report: Report, data_key: bytes):
    body = open_json(data_key, report.content, report.ref, "content")
    for name, value in body.items():
        if name not in CODE_FIELDS and isinstance(value, str):
            yield value


def _case_texts(case: OpenedCase, messages: list[Message], notes: list[CaseNote],
                minutes: list[MinutesVersion] = ()):
    """The texts of one case, the report first, each decrypted only when asked for."""
    report = case.report
    yield from _report_texts(report, case.data_key)
    for version in minutes:  # a registered report's record, as revised
        yield open_json(case.data_key, version.body, report.ref, "minutes", version.ref)["text"]
    for message in messages:
        yield open_json(case.data_key, message.body, report.ref, "message", message.ref,
                        message.author.value)["text"]
    for note in notes:
        yield note_text(case, note)


def _matches(words: tuple[str, ...], texts) -> bool:
    """Every word occurs in one of the texts; stops opening texts once all were found."""
    missing = set(words)
    for text in texts:
        text = folded(text)
        missing = {word for word in missing if word not in text}
        if not missing:
            return True
    return False


def _grouped(model, ids) -> dict[int, list]:
    rows = db.session.scalars(select(model).options(
        load_only(model.report_id, model.ref, model.body, *(
            (model.author,) if model is Message else ())))
        .where(model.report_id.in_(ids)).order_by(model.id))
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.report_id].append(row)
    return grouped


def _matching(officer: User, private_key, ids: list[int], words: tuple[str, ...]
              ) -> tuple[list[int], int]:
    """The ids among ``ids`` whose case matches (in the given order), and how many did not
    open."""
    matched, unreadable = [], 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        reports = {report.id: report for report in db.session.scalars(
            select(Report).options(load_only(Report.id, Report.ref, Report.content))
            .where(Report.id.in_(batch)))}
        messages, notes = _grouped(Message, batch), _grouped(CaseNote, batch)
        minutes = _grouped(MinutesVersion, batch)
        copies = officer_copies(officer, batch)
        for report_id in batch:
            report = reports.get(report_id)
            try:
                data_key = (report and report_id in copies
                            and officer_data_key(report, officer, private_key,
                                                 copies[report_id]))
                if not data_key:
                    unreadable += 1
                    continue
                case = OpenedCase(report, officer, data_key)
                if _matches(words, _case_texts(case, messages[report_id], notes[report_id],
                                               minutes[report_id])):
                    matched.append(report_id)
            # A copy or text that does not open, or a body not as written (ValueError covers
            # JSON and UTF-8 errors): skipped, never shown, never logged.
            except (DecryptionError, ValueError, KeyError, TypeError, AttributeError):
                unreadable += 1
        for row in (*reports.values(), *(row for rows in (*messages.values(), *notes.values(),
                                                          *minutes.values()) for row in rows)):
            if row in db.session:  # the batch's ciphertexts leave the session
                db.session.expunge(row)
    return matched, unreadable


def search_cases(institution: Institution, officer: User, private_key, chosen: InboxFilter,
                 query: str, limit: int) -> SearchResult:
    """Search the text of the ``limit`` most recent cases the filter selects that the
    officer can open; records that a search ran (not what it looked for) and commits.

    :param private_key: the officer's private key, from their staff session.
    :param query: the words to find (at most MAX_QUERY_LENGTH characters; the form checks).
    """
    day = today()
    words = search_words(query[:MAX_QUERY_LENGTH])
    recent = replace(chosen, sort="received_desc", page=1)
    ids = selected_ids(institution, officer, recent, limit + 1, day)
    cut = len(ids) > limit
    ids = ids[:limit]
    available = selected_count(institution, officer, recent) if cut else len(ids)
    matched, unreadable = _matching(officer, private_key, ids, words) if words else ([], 0)
    audit.record("cases_searched", actor=officer, institution=institution,
                 searched=len(ids), matched=len(matched))
    db.session.commit()
    # The matches in the order the officer chose (the search itself takes the most recent).
    shown = selected_ids(institution, officer, replace(chosen, page=1), SHOWN, day,
                         among=matched) if matched else []
    return SearchResult(listed_rows(shown, day), len(matched), len(ids), available,
                        unreadable, counts(institution, officer, day))
