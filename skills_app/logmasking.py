"""Keep personal data out of the logs (issue 13 item 5).

Django logs the path of every 4xx and 5xx answer ("Forbidden:
/api/v1/people/P0000001") and the development server logs every request line.
API paths carry staff numbers, and query strings can carry names (a search), so
``MaskPersonalData`` rewrites each record's message before any handler writes it:

- the path segment after ``/people/`` becomes ``[staff number]`` (all of them:
  a staff number has no fixed format, so none is trusted to look harmless);
- anything else shaped like a staff number (letters then digits, ``P0000001``)
  becomes ``[staff number]``;
- a query string becomes ``?[query]``.

The filter is set on the console handler and on the ``django.request`` and
``django.server`` loggers (so every handler, including the test suite's, sees
the masked message). Masking is deliberately broad: a log line losing an opaque
id is cheaper than one leaking who was looked at.
"""

from __future__ import annotations

import logging
import re

MASK = "[staff number]"
# Not an already masked segment: the filter sits on a logger and on its handler, so a
# record can pass through it twice and must come out the same.
_PEOPLE_SEGMENT = re.compile(r"(/people/)(?!team(?:/|\b)|\[staff number\])[^/?#\s\"']+")
# The app's own numbers are P0000001 (demo) and S000001 (tests); HR files may use
# other prefixes, so any one-to-three letters followed by four or more digits.
_STAFF_NUMBER = re.compile(r"\b[A-Za-z]{1,3}\d{4,}\b")
_QUERY_STRING = re.compile(r"\?[^\s\"']+")


def mask(text: str) -> str:
    text = _QUERY_STRING.sub("?[query]", text)
    text = _PEOPLE_SEGMENT.sub(lambda m: m.group(1) + MASK, text)
    return _STAFF_NUMBER.sub(MASK, text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # A traceback's last line repeats the exception's message, which may
            # name the record ("No one has staff number P0000001").
            record.exc_text = mask(_FORMATTER.formatException(record.exc_info))
        return True


_FORMATTER = logging.Formatter()
