"""Exercise 8: the SGD update.

Plain gradient descent moves every parameter a step of size ``lr`` against its gradient, as
``torch.optim.SGD`` does. Write ``update``: change ``params[name]`` in place for every
gradient. The line there now is wrong. The update only runs in training steps, so run

    nn-parity check examples/exercises/ex08_sgd_update.py --steps 3

and correct it until the check says "no divergence".
A solution: solutions/ex08_sgd_update.py.
"""

from parity.check import Functional

from parts import functional, init_params, two_layer


def update(params: dict, grads: dict, lr: float) -> None:
    for name, grad in grads.items():
        # YOUR CODE: one step of gradient descent on params[name], in place
        params[name] += lr * grad


def implementation() -> Functional:
    return functional(two_layer, init_params(), update=update)
