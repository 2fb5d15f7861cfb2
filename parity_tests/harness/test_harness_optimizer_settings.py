"""A setting of the other optimizer is refused, not ignored: ``RunSpec(optimizer='adam',
momentum=0.9)`` would train plain Adam while the spec (and the model card) says momentum."""

from __future__ import annotations

import pytest

from parity.spec import RunSpec

REFUSED = {  # id: (RunSpec keywords, message)
    "adam-momentum": (dict(optimizer="adam", momentum=0.9),
                      "momentum=0.9 applies to optimizer='sgd' only"),
    "adam-dampening": (dict(optimizer="adam", dampening=0.5), "dampening=0.5 applies to"),
    "adam-nesterov": (dict(optimizer="adam", momentum=0.9, nesterov=True),
                      "momentum=0.9, nesterov=True applies to optimizer='sgd' only"),
    "sgd-betas": (dict(betas=(0.8, 0.9)), "betas=(0.8, 0.9) applies to optimizer='adam' only"),
    "sgd-eps": (dict(optimizer="sgd", eps=1e-6), "eps=1e-06 applies to optimizer='adam' only"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_a_setting_of_the_other_optimizer_is_refused(case):
    kwargs, message = REFUSED[case]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunSpec(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [dict(optimizer="adam", betas=[0.9, 0.999], eps=1e-8, momentum=0.0),
     dict(optimizer="sgd", momentum=0.9, nesterov=True, betas=(0.9, 0.999)),
     dict(optimizer="adam", betas=(0.5, 0.6), eps=1e-4, weight_decay=0.1)],
    ids=["adam-defaults-spelled-out", "sgd-with-adam-defaults", "adam-own-settings"],
)  # fmt: skip
def test_defaults_and_own_settings_are_accepted(kwargs):
    spec = RunSpec(**kwargs)
    assert spec.to_dict() == RunSpec(**spec.to_dict()).to_dict()  # the round trip still holds


def test_switching_optimizer_with_replace_needs_the_setting_dropped():
    spec = RunSpec(momentum=0.9)
    with pytest.raises(ValueError, match="drop it or set optimizer='sgd'"):
        spec.replace(optimizer="adam")
    assert spec.replace(optimizer="adam", momentum=0.0).optimizer == "adam"
