"""The multiple-choice widget of the graded questions: radio buttons that show check()'s feedback."""
from __future__ import annotations

import html

import ipywidgets as w

from costlib.teaching.grading import check, get_question

__all__ = ["choice_widget"]


def choice_widget(question_id):
    """Radio buttons for a multiple-choice question; picking an option shows check()'s feedback."""
    q = get_question(question_id)
    if not q.is_choice:
        raise ValueError(f"question {q.id!r} is not multiple choice; use cl.check({q.id!r}, "
                         "answer)")
    title = w.HTML(f"<b>{html.escape(q.id)}.</b> {html.escape(q.ask)}")
    radio = w.RadioButtons(options=[(f"({o.key}) {o.text}", o.key) for o in q.options],
                           value=None, layout=w.Layout(width="max-content"))
    feedback = w.HTML("<i>Pick an option.</i>")

    def on_change(change):
        if change["new"] is None:
            return
        r = check(q.id, change["new"])
        color = "#1a7f37" if r.passed else "#b42318"
        feedback.value = f'<span style="color:{color}">{html.escape(r.message)}</span>'

    radio.observe(on_change, names="value")
    box = w.VBox([title, radio, feedback])
    box.radio, box.feedback = radio, feedback  # handles for tests and for the curious
    return box
