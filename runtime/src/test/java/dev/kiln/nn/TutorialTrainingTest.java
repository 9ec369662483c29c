package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.Kiln;
import dev.kiln.Tensor;
import dev.kiln.loss.CrossEntropyLoss;
import dev.kiln.loss.MSELoss;
import dev.kiln.loss.Reduction;
import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.SGD;
import org.junit.jupiter.api.Test;

/** The tutorials' training loops, written against the nn, loss and optim API, converge. */
class TutorialTrainingTest {

    @Test
    void linearRegressionRecoversSlopeAndIntercept() {
        Kiln.manualSeed(0);
        // y = 2x + 1 on x = 0..10, one column each, as the tutorial's (11, 1) arrays.
        Tensor x = Tensor.arange(0, 11).toFloat().reshape(11, 1);
        Tensor y = x.times(2.0).plus(1.0);
        Linear model = new Linear(1, 1);
        MSELoss criterion = new MSELoss();
        Optimizer optimizer = new SGD(model.parameters(), 0.01);
        double first = Double.NaN, last = Double.NaN;
        for (int epoch = 0; epoch < 1000; epoch++) {
            optimizer.zeroGrad();
            Tensor loss = criterion.invoke(model.invoke(x), y);
            loss.backward();
            optimizer.step();
            if (epoch == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        assertThat(model.weight().item()).isCloseTo(2.0, within(0.02));
        assertThat(model.bias().item()).isCloseTo(1.0, within(0.1));
        assertThat(last).isLessThan(first / 100);
    }

    @Test
    void sequentialNetWithAdamFitsRandomData() {
        Kiln.manualSeed(0);
        Tensor x = Tensor.randn(64, 1000);
        Tensor y = Tensor.randn(64, 10);
        Sequential model = new Sequential(new Linear(1000, 100), new ReLU(), new Linear(100, 10));
        MSELoss criterion = new MSELoss(Reduction.SUM);
        Optimizer optimizer = new Adam(model.parameters(), 1e-3);
        double first = criterion.invoke(model.invoke(x), y).item();
        double last = first;
        for (int t = 0; t < 150; t++) {
            Tensor loss = criterion.invoke(model.invoke(x), y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            last = loss.item();
        }
        assertThat(last).isLessThan(first / 100);
    }

    @Test
    void threeClassClassifierWithMomentumLearnsSeparableClasses() {
        Kiln.manualSeed(3);
        // Three clusters in 20 dimensions; labels 0, 1, 2.
        int n = 300;
        long[] classes = new long[n];
        for (int i = 0; i < n; i++) {
            classes[i] = i % 3;
        }
        Tensor labels = Tensor.of(classes);
        Tensor centres = Tensor.randn(3, 20).times(3.0);
        Tensor x = centres.indexSelect(0, labels).plus(Tensor.randn(n, 20));
        Module model = new Sequential(new Linear(20, 13), new ReLU(), new Linear(13, 8, false), new Sigmoid(),
                new Linear(8, 3));
        CrossEntropyLoss criterion = new CrossEntropyLoss();
        Optimizer optimizer = SGD.builder(model.parameters()).lr(0.1).momentum(0.9).build();
        for (int epoch = 0; epoch < 200; epoch++) {
            optimizer.zeroGrad();
            criterion.invoke(model.invoke(x), labels).backward();
            optimizer.step();
        }
        Tensor predicted = model.invoke(x).argmax(1);
        double accuracy = predicted.eq(labels).toLong().sum().item() / n;
        assertThat(accuracy).isGreaterThan(0.95);
    }
}
