from grokbook import MLPConfig, ModularArithmetic, TrainConfig, train
from grokbook.htmlbook import in_html_book

CONFIG = TrainConfig(task=ModularArithmetic(p=7, train_fraction=0.5), model=MLPConfig(width=8), steps=20,
                     device="cpu", log_points=4)


def test_progress_bars_are_off_in_the_html_book(monkeypatch, capsys):
    train(CONFIG, progress=True)
    assert "training 1 model" in capsys.readouterr().err  # a bar outside the book
    monkeypatch.setenv("GROKBOOK_HTML_BUILD", "1")
    assert in_html_book()
    train(CONFIG, progress=True)
    assert "training" not in capsys.readouterr().err  # no bar (in a kernel: no empty widget area)
