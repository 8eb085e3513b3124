import pytest
import torch

from grokbook.device import describe_device, pick_device, resolve_dtype


@pytest.mark.parametrize("threads, text", [(1, "cpu (1 thread)"), (2, "cpu (2 threads)")])
def test_describe_device_counts_threads_in_english(threads, text, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)
    assert describe_device(torch.device("cpu")) == text


def test_pick_and_resolve():
    assert pick_device("cpu") == torch.device("cpu")
    assert resolve_dtype("float64", torch.device("cpu")) is torch.float64
    with pytest.raises(ValueError, match="dtype must be one of"):
        resolve_dtype("float16", torch.device("cpu"))
    with pytest.raises(ValueError, match="not supported on device 'mps'"):
        resolve_dtype("float64", torch.device("mps"))
