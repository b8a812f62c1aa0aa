"""Progress bars render in Jupyter without ipywidgets and without a TqdmWarning."""

from __future__ import annotations

from irdp import _progress


class _Handle:
    def __init__(self, shown):
        self.shown = shown

    def update(self, obj):
        self.shown.append(obj.data)


def test_html_bar_draws_and_updates_in_place(monkeypatch, capsys):
    shown: list[str] = []

    def fake_display(obj, display_id=False):
        assert display_id is True
        shown.append(obj.data)
        return _Handle(shown)

    monkeypatch.setattr("IPython.display.display", fake_display)
    bar = _progress.HtmlProgressBar(range(5), desc="irdp run demo", unit="step",
                                    mininterval=0)
    for _ in bar:
        bar.set_postfix_str("step")
    assert shown[0].startswith("<div><progress")
    assert 'value="5" max="5"' in shown[-1]  # the final state is drawn at close
    assert "irdp run demo: 5/5" in shown[-1]
    assert capsys.readouterr().err == ""


def test_outside_jupyter_the_text_bar_is_used(recwarn):
    assert not _progress.in_jupyter_kernel()
    bar = _progress.tqdm(range(3), disable=True)
    assert type(bar).__name__ == "tqdm"
    assert list(bar) == [0, 1, 2]
    assert len(recwarn) == 0
