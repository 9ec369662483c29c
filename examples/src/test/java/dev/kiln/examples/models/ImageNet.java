package dev.kiln.examples.models;

import dev.kiln.Tensor;
import dev.kiln.annotations.Model;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.Module;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/** An MNIST-style classifier: images flattened to rows of pixels, then an MLP with a residual block. */
@Model
public class ImageNet extends Module {
    final Sequential features;
    final Linear block;
    final Linear head;

    public ImageNet(int height, int width) {
        features = new Sequential(new Flatten(), new Linear(height * width, 10), new ReLU());
        block = new Linear(10, 10);
        head = new Linear(10, 3);
    }

    @Override
    public Tensor forward(Tensor images) {
        Tensor h = features.invoke(images);
        return head.invoke(block.invoke(h).tanh().plus(h)).logSoftmax(1);
    }
}
