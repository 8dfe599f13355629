"""The two kinds of failure a request can end in, as on the TypeScript side (src/base/errors.ts)."""


class InputError(Exception):
    """The request cannot run as given (a bad spec, field or array): exit 2 on the Node side."""


class RunError(Exception):
    """The request failed while running: the trial is retried as any failed trial is."""
