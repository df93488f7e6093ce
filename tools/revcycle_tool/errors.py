class SetupError(Exception):
    """A problem the user can fix: printed as one clear message, exit code 2, no traceback."""

    def __init__(self, message, hint=None):
        super().__init__(message)
        self.hint = hint

    def __str__(self):
        text = self.args[0]
        if self.hint:
            text += "\n  " + self.hint.replace("\n", "\n  ")
        return text
