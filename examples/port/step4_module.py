"""Step 4: the network as an nn.Sequential of nn.Linear and nn.Tanh, the loss from torch.nn.

2 inputs -> 16 tanh -> 16 tanh -> 1 logit, BCEWithLogitsLoss, minibatch SGD.
Run: python examples/port/step4_module.py
"""

import torch
from torch import nn

from common import LR, PRINT_EVERY, batch_order, initial_weights, moons

X, y, X_test, y_test = (torch.tensor(a) for a in moons())  # float64 stays float64
model = nn.Sequential(
    nn.Linear(2, 16), nn.Tanh(),
    nn.Linear(16, 16), nn.Tanh(),
    nn.Linear(16, 1),  # a logit: the sigmoid lives in the loss
).to(torch.float64)
loss_fn = nn.BCEWithLogitsLoss()  # sigmoid + binary cross-entropy, computed stably

w = initial_weights()
with torch.no_grad():  # nn.Linear stores weight (out, in): ours is (in, out), so transpose
    for k, layer in enumerate((model[0], model[2], model[4]), start=1):
        layer.weight.copy_(torch.tensor(w[f"W{k}"].T))
        layer.bias.copy_(torch.tensor(w[f"b{k}"]))


def main() -> None:
    for step, rows in enumerate(batch_order()):
        loss = loss_fn(model(X[rows])[:, 0], y[rows])
        loss.backward()  # fills p.grad for every p in model.parameters()
        with torch.no_grad():  # the update is not part of the graph
            for p in model.parameters():
                p -= LR * p.grad
        model.zero_grad()  # gradients add up otherwise
        if step % PRINT_EVERY == 0:
            print(f"step {step:3d}  loss {loss.item():.6g}")
    with torch.inference_mode():
        p = torch.sigmoid(model(X_test)[:, 0])
    print(f"test accuracy {torch.mean(((p > 0.5) == y_test).double()):.3f}")


if __name__ == "__main__":
    main()
