"""Exercise 10: find the mistake.

This network trains, and its loss goes down, yet it is not the network torch computes from
the same weights. One thing in this file is wrong. Run

    nn-parity check examples/exercises/ex10_find_the_mistake.py

find it, and fix it until the check says "no divergence".
A solution: solutions/ex10_find_the_mistake.py.
"""

from parity.check import Layers

from parts import ReLU, Softmax, layered, network


def implementation() -> Layers:
    layers = network(ReLU)
    layers.append(Softmax())  # the class probabilities
    return layered(layers)
