"""Keep the access token out of logs: ``?token=...`` in any logged URL becomes ``?token=***``."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_URL = re.compile(r"(?i)([?&;](?:token|access_token)=)[^&;\s\"']*")

#: Loggers that write request URLs (uvicorn's access log, and its error log on failed requests).
LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


def mask(text: str) -> str:
    """``text`` with the value of any ``token=`` or ``access_token=`` URL parameter replaced by ``***``."""
    return _TOKEN_IN_URL.sub(r"\1***", text)


def mask_tokens(record: logging.LogRecord) -> bool:
    """A logging filter (never drops a record): masks tokens in the message and its arguments."""
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(mask(a) if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: mask(v) if isinstance(v, str) else v for k, v in record.args.items()}
    return True


def install() -> None:
    """Add the filter to uvicorn's loggers (idempotent; logging configuration keeps logger filters)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if mask_tokens not in logger.filters:
            logger.addFilter(mask_tokens)
