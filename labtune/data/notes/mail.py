"""Notes sent as email: a saved .eml file, or a message pasted into a .txt/.md with its From/To/Date/
Subject lines on top (Outlook's "Sent:" too). Python's `email` package reads the headers and the MIME
parts; what is left here is what a meeting note needs: the writer, the subject, the date sent, the body
without quoted replies and signatures, and the name the writer signed with.
"""

from __future__ import annotations

import email
import email.parser
import email.policy
import re
from dataclasses import dataclass
from datetime import date
from email.utils import getaddresses, parsedate_to_datetime

from labtune.data.notes.dates import find_dates
from labtune.data.notes.html_notes import html_to_markdown
from labtune.data.notes.labels import looks_like_name

_HEADER_NAMES = ("from", "to", "cc", "bcc", "date", "sent", "subject", "reply-to", "message-id", "mime-version",
                 "content-type", "content-transfer-encoding", "importance", "x-mailer", "user-agent", "received",
                 "return-path", "delivered-to", "thread-topic", "thread-index", "in-reply-to", "references")
_HEADER_LINE = re.compile(rf"^(?:{'|'.join(re.escape(h) for h in _HEADER_NAMES)})\s*:", re.I)
_QUOTE_INTRO = re.compile(r"^(?:on .{4,120}wrote:|-{2,}\s*original message\s*-{2,}|_{5,})\s*$", re.I)
_FORWARD = re.compile(r"^-{2,}\s*forwarded message\s*-{2,}\s*$|^begin forwarded message:\s*$", re.I)
_CLOSING = re.compile(r"^(?:best|cheers|thanks|thank you|many thanks|thx|ta|regards|kind regards|best regards|"
                      r"warm regards|best wishes|all the best|yours|sincerely|see you|talk soon|speak soon|"
                      r"bw|br|kr)\b[\w ,!.]*[,!.]?$", re.I)
_GREETING = re.compile(r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|morning|hiya)\b[^.!?]{0,40}[,!:]?$",
                       re.I)


@dataclass
class Email:
    sender: str | None  # display name of From ("Lucía Nakamura"), else the address's local part
    subject: str | None
    sent: date | None  # the Date:/Sent: header
    sent_text: str | None
    body: str  # without quoted replies and the signature block
    signoff: str | None  # the name after "Best," at the end, as written
    header_text: str  # From/Date/Subject lines, kept in the note's text


def _sender_name(value: str) -> str | None:
    pairs = getaddresses([value])
    if not pairs:
        return None
    name, address = pairs[0]
    name = name.strip().strip('"')
    if "," in name and len(name.split(",")) == 2:  # "Nakamura, Lucía"
        last, first = (p.strip() for p in name.split(","))
        name = f"{first} {last}"
    if name:
        return name
    # No display name: "ana.lima@" names a person, "noreply@" or "lab@" does not.
    parts = [p for p in re.split(r"[._]", address.split("@")[0]) if p.isalpha()]
    return " ".join(p.capitalize() for p in parts) if len(parts) >= 2 else None


def _sent_date(value: str) -> date | None:
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        mentions = [m for m in find_dates(value) if m.date]
        return mentions[0].date if mentions else None


def _name_line(line: str) -> str | None:
    name = re.sub(r"^(?:dr|prof|mr|ms|mrs)\.?\s+", "", line.strip().strip(",.!"), flags=re.I)
    return name if name and looks_like_name(name) and len(name.split()) <= 3 else None


def _clean_body(body: str) -> tuple[str, str | None]:
    """(the body without quoted replies, signature and sign-off; the name the writer signed with)."""
    lines = body.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    signature = None
    for k, line in enumerate(lines):
        if line.rstrip() in ("--", "-- "):  # the signature block: its first line is usually the name
            signature = next((_name_line(rest) for rest in lines[k + 1:] if rest.strip()), None)
            break
        if _QUOTE_INTRO.match(line.strip()):  # a reply's quoted message
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    signoff = None
    filled = [i for i, line in enumerate(kept) if line.strip()]
    for position, i in enumerate(filled):
        closing = kept[i].strip()
        if position < len(filled) - 4 or len(closing.split()) > 5 or not _CLOSING.match(closing) or i == filled[-1]:
            continue
        signoff = _name_line(kept[filled[position + 1]])  # "Best,\nLucía\nPostdoc, soil lab"
        if signoff:
            kept = kept[:i]
            break
    else:
        last = kept[filled[-1]].strip() if filled else ""
        dashed = re.fullmatch(r"[-–—~]+\s*(.{1,40})", last)
        same_line = re.fullmatch(r"([^,]{2,25}),\s*([^,]{2,40}?)[.!]?", last)
        if dashed and _name_line(dashed[1]):  # "— Lucía"
            signoff, kept = _name_line(dashed[1]), kept[:filled[-1]]
        elif same_line and _CLOSING.match(same_line[1]) and _name_line(same_line[2]):  # "Cheers, Ana"
            signoff, kept = _name_line(same_line[2]), kept[:filled[-1]]
    kept = [line for j, line in enumerate(kept) if not (j < 3 and _GREETING.match(line.strip()))]
    return "\n".join(kept).strip("\n"), signoff or signature


def _email(headers: email.message.Message, body: str) -> Email:
    forwarded = _forwarded(body)
    if forwarded:
        return forwarded
    body, signoff = _clean_body(body)
    sent_text = headers.get("date") or headers.get("sent")
    kept = [f"{k}: {headers[k]}" for k in ("From", "Date", "Sent", "Subject") if headers.get(k)]
    return Email(_sender_name(str(headers.get("from", ""))), headers.get("subject"),
                 _sent_date(str(sent_text)) if sent_text else None, str(sent_text) if sent_text else None,
                 body, signoff, "\n".join(kept))


def _mime_body(message: email.message.EmailMessage) -> str:
    """The plain text part; an email sent as HTML only, its HTML read as Markdown."""
    part = message.get_body(preferencelist=("plain", "html")) if message.is_multipart() else message
    if part is None or part.get_content_type() not in ("text/plain", "text/html"):
        return ""
    return part.get_content() if part.get_content_type() == "text/plain" else html_to_markdown(part.get_content())


def _forwarded(body: str) -> Email | None:
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if _FORWARD.match(line.strip()):
            inner = parse_pasted_email("\n".join(lines[i + 1:]).lstrip("\n"))
            if inner:
                return inner
    return None


def _continues_header(line: str) -> bool:
    return line[:1] in " \t" and bool(line.strip())


def parse_pasted_email(text: str) -> Email | None:
    """A message as text (pasted into a note, or a saved .eml): None unless it opens with a header block
    that has From and a Subject, Date, Sent or To line."""
    lines = text.split("\n")
    end = 0
    while end < len(lines) and (_HEADER_LINE.match(lines[end]) or (end and _continues_header(lines[end]))):
        end += 1
    names = {line.split(":", 1)[0].strip().lower() for line in lines[:end] if _HEADER_LINE.match(line)}
    if "from" not in names or not names & {"subject", "date", "sent", "to"}:
        return None
    if end < len(lines) and lines[end].strip():  # headers end at a blank line
        return None
    body = "\n".join(lines[end + 1:])
    if names & {"content-type", "content-transfer-encoding", "mime-version"}:
        # A raw message: let the email package undo its transfer encoding and pick the plain-text part.
        raw = text.encode("utf-8", "surrogateescape")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        return _email(message, _mime_body(message))
    # Pasted text is already text: only its headers need parsing (Outlook's "Sent:" is read like "Date:").
    headers = email.parser.HeaderParser(policy=email.policy.default).parsestr("\n".join(lines[:end]) + "\n\n")
    return _email(headers, body)
