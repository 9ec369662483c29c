package dev.kiln.examples.train;

import java.util.List;

import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.Sigmoid;
import dev.kiln.nn.Tanh;

/**
 * The network of {@code kiln train}: {@code Sequential(Linear, activation, Linear, activation, ...,
 * Linear)}. Its state dict has the key names of the same {@code nn.Sequential} in PyTorch:
 * {@code 0.weight}, {@code 0.bias}, {@code 2.weight}, ... (the activations, at odd positions, have no
 * parameters).
 */
final class Mlp {

    /** The activation after each hidden layer. */
    enum Activation {
        RELU, TANH, SIGMOID;

        Module module() {
            return switch (this) {
                case RELU -> new ReLU();
                case TANH -> new Tanh();
                case SIGMOID -> new Sigmoid();
            };
        }
    }

    private Mlp() {
    }

    /** {@code inputs -> hidden[0] -> ... -> hidden[last] -> outputs}, with {@code activation} between layers. */
    static Sequential build(int inputs, List<Integer> hidden, int outputs, Activation activation) {
        var model = new Sequential();
        int width = inputs;
        for (int size : hidden) {
            model.append(new Linear(width, size));
            model.append(activation.module());
            width = size;
        }
        return model.append(new Linear(width, outputs));
    }
}
