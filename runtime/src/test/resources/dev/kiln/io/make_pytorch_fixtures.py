"""Writes the PyTorch-made fixtures that SafetensorsPyTorchInteropTest reads, and checks Kiln-made files.

    python make_pytorch_fixtures.py write DIR      # writes pytorch_mlp.safetensors and pytorch_half.safetensors into DIR
    python make_pytorch_fixtures.py check FILE     # loads a Kiln-written MLP state dict into the torch.nn model

Needs torch and safetensors (the fixtures in this folder were made with torch 2.13.0+cpu and
safetensors 0.8.0). Weights are set from formulas, not a random generator, so the Java test can
state the expected values: weight[i][j] = (i * in + j - 5) / 8, bias[i] = i / 4 - 0.5, and so on.
"""
import sys

import torch
from safetensors.torch import load_file, save_file


def mlp():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for linear in (model[0], model[3]):
            out_f, in_f = linear.weight.shape
            linear.weight.copy_((torch.arange(out_f * in_f, dtype=torch.float32).reshape(out_f, in_f) - 5) / 8)
            linear.bias.copy_(torch.arange(out_f, dtype=torch.float32) / 4 - 0.5)
        model[1].weight.copy_(torch.tensor([1.0, 2.0, 0.5, 0.25]))
        model[1].bias.copy_(torch.tensor([0.0, -1.0, 1.0, 0.125]))
        model[1].running_mean.copy_(torch.tensor([0.5, -0.5, 1.5, 0.0]))
        model[1].running_var.copy_(torch.tensor([1.0, 4.0, 0.25, 2.0]))
        model[1].num_batches_tracked.fill_(7)
    return model


def write(directory):
    save_file(mlp().state_dict(), f"{directory}/pytorch_mlp.safetensors", metadata={"format": "pt"})
    special = [1.0, -2.5, 65504.0, 2.0 ** -24, 2.0 ** -14, float("inf"), float("-inf"), float("nan"), -0.0]
    save_file({"half": torch.tensor(special, dtype=torch.float16),
               "bfloat": torch.tensor(special[:2] + [3.0e38, 2.0 ** -133] + special[4:], dtype=torch.bfloat16),
               "int32": torch.tensor([-2147483648, 2147483647, 0], dtype=torch.int32),
               "uint8": torch.tensor([0, 255, 128], dtype=torch.uint8)},
              f"{directory}/pytorch_half.safetensors")


def check(path):
    model = mlp()
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    for p in model.state_dict().values():
        p.zero_() if p.is_floating_point() else p.fill_(0)
    model.load_state_dict(load_file(path), strict=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, expected[k]), (k, v, expected[k])
        assert v.dtype == expected[k].dtype, (k, v.dtype)
    print("torch.nn model loaded", path, "with", len(expected), "tensors: all equal")


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
