"""The Flask application class: Flask, remembering which handlers are coroutines."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


class CourseFlask(Flask):
    """Flask with ``ensure_sync`` asking ``inspect`` once per function, not on every call.

    Flask passes each before-request, after-request and teardown function and the view
    through ``ensure_sync`` on every request (about twenty a page), and each call asks
    ``inspect`` again whether the function is a coroutine function. The answer for one
    function never changes, so it is kept for as long as the function lives: functions
    made per request (``after_this_request``) drop out with them.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._coroutines: weakref.WeakKeyDictionary[Callable[..., Any], bool]
        self._coroutines = weakref.WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Return ``func``, or a synchronous wrapper when it is a coroutine function."""
        try:
            is_coroutine = self._coroutines[func]
        except KeyError:
            is_coroutine = self._coroutines[func] = iscoroutinefunction(func)
        except TypeError:  # not weakly referable (a built-in, say): ask every time
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func
