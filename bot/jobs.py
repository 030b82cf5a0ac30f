"""How scheduled jobs run: after a gate (the guilds they concern are seeded), and drained at shutdown.

APScheduler's asyncio executor starts each coroutine job as a task and, at shutdown, cancels them
all at once. :class:`JobExecutor` keeps those tasks so that stopping can first give them a bounded
time to finish (:meth:`JobExecutor.drain`), and only cancels what is still running after that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import run_coroutine_job
from apscheduler.util import iscoroutinefunction_partial

log = logging.getLogger(__name__)


class JobExecutor(AsyncIOExecutor):  # type: ignore[misc]
    """Runs coroutine jobs after ``before_each`` and lets shutdown wait for them."""

    def __init__(self, before_each: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__()
        self._before_each = before_each
        self._waiting: set[asyncio.Task[Any]] = set()  # jobs still at their gate: nothing started yet

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        if not iscoroutinefunction_partial(job.func):
            return super()._do_submit_job(job, run_times)  # type: ignore[no-any-return]

        async def run() -> Any:
            if self._before_each is not None:
                current = asyncio.current_task()
                assert current is not None
                self._waiting.add(current)
                try:
                    await self._before_each()
                finally:
                    self._waiting.discard(current)
            return await run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)

        def finished(task: asyncio.Task[Any]) -> None:
            self._pending_futures.discard(task)
            if task.cancelled():
                # Cancelled by drain(): expected when stopping, not a failure of the job.
                self._logger.info("job %s was cancelled: the bot is stopping", job.id)
                return
            error = task.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, task.result())

        task = self._eventloop.create_task(run(), name=f"job {job.id}")
        task.add_done_callback(finished)
        self._pending_futures.add(task)

    async def drain(self, timeout: float) -> list[str]:
        """Wait up to ``timeout`` seconds for running jobs, then cancel the rest and wait for them.

        Returns the names of the jobs that had to be cancelled. Call it after pausing the scheduler,
        so that no new job starts meanwhile.
        """
        for task in self._waiting:
            task.cancel()  # never started: nothing to finish
        running = [task for task in self._pending_futures if not task.done() and task not in self._waiting]
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
        else:
            late = set()
        for task in late:
            task.cancel()
        leftover = [task for task in self._pending_futures if not task.done()]
        if leftover:  # let the cancellations unwind (bounded: a job must not swallow its cancellation)
            await asyncio.wait(leftover, timeout=timeout)
        if late:
            log.warning("stopping: %d job(s) did not finish within %.0f s and were cancelled (%s); the next "
                        "start resolves what they left", len(late), timeout,
                        ", ".join(sorted(task.get_name() for task in late)))
        return sorted(task.get_name() for task in late)
