"""A test SMS backend: records each text, or answers with the error a test sets.

Set ``settings.SMS_BACKEND = "tests.alerts.text_backends.ScriptedBackend"``,
then ``ScriptedBackend.answer = SmsOperatorError(...)`` (None: success) and read
``ScriptedBackend.sent``: (to, text, serial) per text taken.
"""

from typing import ClassVar

from proof.sms import FreeTextBackend, Text, render_text


class ScriptedBackend(FreeTextBackend):
    answer: ClassVar[Exception | None] = None
    sent: ClassVar[list[tuple[str, Text, str]]] = []
    tried: ClassVar[int] = 0

    @classmethod
    def reset(cls) -> None:
        cls.answer = None
        cls.sent = []
        cls.tried = 0

    def send_text(self, to_e164: str, text: Text) -> str:
        type(self).tried += 1
        render_text(text)  # the free-text backends' template renders for it
        if self.answer is not None:
            raise self.answer
        serial = f"serial-{len(self.sent) + 1}"
        self.sent.append((to_e164, text, serial))
        return serial
