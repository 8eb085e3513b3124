"""Where tensors live and in which precision: the device and dtype chosen for a run."""
from __future__ import annotations

import torch

DTYPES = {"float32": torch.float32, "float64": torch.float64}
# The precisions a loss may be computed in (TrainConfig.loss_dtype). float16 is a loss precision only:
# CPU kernels for half-precision training are slow or missing.
LOSS_DTYPES = {"float16": torch.float16, **DTYPES}
# Every floating-point precision a tensor may be measured in (bfloat16 included).
FLOAT_DTYPES = {"bfloat16": torch.bfloat16, **LOSS_DTYPES}

__all__ = ["DTYPES", "FLOAT_DTYPES", "LOSS_DTYPES", "describe_device", "float_dtype", "pick_device",
           "resolve_dtype"]


def pick_device(device: str = "auto") -> torch.device:
    """Return the device to train on: ``"auto"`` picks CUDA, then Apple's MPS, then the CPU.

    >>> pick_device("cpu")
    device(type='cpu')
    """
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """Map a dtype name to a torch dtype, refusing combinations the device cannot run.

    Raises ``ValueError`` for unknown names and for float64 on MPS (Apple GPUs have no float64).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    if device.type == "mps" and dtype == "float64":
        raise ValueError("dtype='float64' is not supported on device 'mps'; use dtype='float32' or device='cpu'")
    return DTYPES[dtype]


def float_dtype(dtype: str | torch.dtype | None, default: torch.dtype = torch.float32) -> torch.dtype:
    """The torch dtype of a floating-point precision given by name or as a dtype (``None``: ``default``).

    >>> float_dtype("bfloat16"), float_dtype(None, torch.float64)
    (torch.bfloat16, torch.float64)
    """
    if dtype is None:
        return default
    if isinstance(dtype, torch.dtype) and dtype in FLOAT_DTYPES.values():
        return dtype
    if isinstance(dtype, str) and dtype in FLOAT_DTYPES:
        return FLOAT_DTYPES[dtype]
    raise ValueError(f"dtype must be one of {list(FLOAT_DTYPES)} (or the torch dtype), got {dtype!r}")


def describe_device(device: torch.device) -> str:
    """One line naming the device, for a notebook's setup cell.

    >>> describe_device(torch.device("cpu")).startswith("cpu (")
    True
    """
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' * (threads != 1)})"
    return device.type
