package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Kiln;
import dev.kiln.Parameter;
import dev.kiln.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest {

    /** The tutorials' custom module, found without any registration call. */
    static class TwoLayerNet extends Module {
        final Linear linear1, linear2;

        TwoLayerNet(int dIn, int h, int dOut) {
            linear1 = new Linear(dIn, h, false);
            linear2 = new Linear(h, dOut, false);
        }

        @Override
        public Tensor forward(Tensor x) {
            return linear2.invoke(linear1.invoke(x).clampMin(0));
        }
    }

    /** Mixed biases, an own parameter and a nested Sequential, as the three-class tutorial model. */
    static class Classifier extends Module {
        final Linear hidden1 = new Linear(20, 13);
        final Linear hidden2 = new Linear(13, 8, false);
        final Sequential head = new Sequential(new Sigmoid(), new Linear(8, 3));
        final Parameter scale = new Parameter(Tensor.ones(3));
        static final Linear IGNORED_STATIC = new Linear(1, 1);
        transient Linear ignoredTransient = new Linear(1, 1);

        @Override
        public Tensor forward(Tensor x) {
            return head.invoke(hidden2.invoke(hidden1.invoke(x).relu())).times(scale);
        }
    }

    @Test
    void fieldsBecomeChildrenAndParametersWithPyTorchNames() {
        TwoLayerNet net = new TwoLayerNet(1000, 100, 10);
        assertThat(net.namedParameters().keySet()).containsExactly("linear1.weight", "linear2.weight");
        assertThat(net.parameters()).containsExactly(net.linear1.weight(), net.linear2.weight());
        assertThat(net.children()).containsExactly(net.linear1, net.linear2);
        assertThat(net.linear1.weight().shape().toArray()).containsExactly(100, 1000);

        Classifier c = new Classifier();
        // As PyTorch: a module's own parameters come before its children's.
        assertThat(c.namedParameters().keySet()).containsExactly(
                "scale", "hidden1.weight", "hidden1.bias", "hidden2.weight", "head.1.weight", "head.1.bias");
        assertThat(c.stateDict().keySet()).containsExactlyElementsOf(c.namedParameters().keySet());
        assertThat(c.namedModules().keySet()).containsExactly("", "hidden1", "hidden2", "head", "head.0", "head.1");
    }

    @Test
    void sequentialNamesItsChildrenByPosition() {
        Sequential model = new Sequential(new Linear(1000, 100), new ReLU(), new Linear(100, 10));
        assertThat(model.namedParameters().keySet()).containsExactly("0.weight", "0.bias", "2.weight", "2.bias");
        assertThat(model.get(0, Linear.class).weight().shape().toArray()).containsExactly(100, 1000);
        assertThat(model.get(-1)).isSameAs(model.get(2));
        assertThatThrownBy(() -> model.get(1, Linear.class))
                .isInstanceOf(ClassCastException.class)
                .hasMessage("Sequential: module 1 is a ReLU, not a Linear");
        assertThatThrownBy(() -> model.get(3)).hasMessageContaining("index 3 is out of range for 3 modules");
    }

    @Test
    void printsTheTreeAsPyTorchDoes() {
        Sequential model = new Sequential(new Linear(1000, 100, false), new ReLU(), new Linear(100, 10, false));
        assertThat(model.toString()).isEqualTo("""
                Sequential(
                  (0): Linear(in_features=1000, out_features=100, bias=False)
                  (1): ReLU()
                  (2): Linear(in_features=100, out_features=10, bias=False)
                )""");
        assertThat(new Classifier().toString()).isEqualTo("""
                Classifier(
                  (hidden1): Linear(in_features=20, out_features=13, bias=True)
                  (hidden2): Linear(in_features=13, out_features=8, bias=False)
                  (head): Sequential(
                    (0): Sigmoid()
                    (1): Linear(in_features=8, out_features=3, bias=True)
                  )
                )""");
        assertThat(new Dropout(0.2).toString()).isEqualTo("Dropout(p=0.2, inplace=False)");
        assertThat(new LeakyReLU().toString()).isEqualTo("LeakyReLU(negative_slope=0.01)");
        assertThat(new Softmax(1).toString()).isEqualTo("Softmax(dim=1)");
        assertThat(new LogSoftmax(-1).toString()).isEqualTo("LogSoftmax(dim=-1)");
        assertThat(new Flatten().toString()).isEqualTo("Flatten(start_dim=1, end_dim=-1)");
        assertThat(new Identity().toString()).isEqualTo("Identity()");
        assertThat(new Tanh().toString()).isEqualTo("Tanh()");
        assertThat(new Parameter(Tensor.of(1f, 2f)).toString())
                .isEqualTo("Parameter containing:\ntensor([1., 2.], requires_grad=True)");
    }

    @Test
    void zeroGradTrainAndEvalReachEveryDescendant() {
        Classifier c = new Classifier();
        c.invoke(Tensor.randn(4, 20)).sum().backward();
        assertThat(c.parameters()).allSatisfy(p -> assertThat(p.grad()).isNotNull());
        c.zeroGrad();
        assertThat(c.parameters()).allSatisfy(p -> assertThat(p.grad()).isNull());

        c.eval();
        assertThat(c.namedModules().values()).allSatisfy(m -> assertThat(m.isTraining()).isFalse());
        c.train();
        assertThat(c.namedModules().values()).allSatisfy(m -> assertThat(m.isTraining()).isTrue());
    }

    @Test
    void stateDictRoundTripsAndSharesNoHistory() {
        Kiln.manualSeed(1);
        TwoLayerNet a = new TwoLayerNet(5, 4, 3);
        TwoLayerNet b = new TwoLayerNet(5, 4, 3);
        Map<String, Tensor> state = a.stateDict();
        assertThat(state.get("linear1.weight").requiresGrad()).isFalse();
        b.loadStateDict(state, true);
        Tensor x = Tensor.randn(2, 5);
        assertThat(b.invoke(x).allClose(a.invoke(x))).isTrue();
        assertThat(b.linear1.weight().requiresGrad()).isTrue();
        assertThat(b.linear1.weight()).isNotSameAs(a.linear1.weight());
    }

    @Test
    void loadStateDictListsEveryProblemAndChangesNothing() {
        TwoLayerNet net = new TwoLayerNet(5, 4, 3);
        float[] before = net.linear1.weight().toFloatArray();
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("linear1.weight", Tensor.zeros(4, 5));       // fine, but must not be copied
        state.put("linear2.weight", Tensor.zeros(4, 3));       // transposed: wrong shape
        state.put("linear3.weight", Tensor.zeros(1));          // unexpected
        assertThatThrownBy(() -> net.loadStateDict(state, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Error(s) in loading state dict for TwoLayerNet:\n"
                        + "  Unexpected key(s): linear3.weight\n"
                        + "  size mismatch for linear2.weight: copying a param with shape (4x3) from the state dict,"
                        + " the shape in the current model is (3x4)");
        assertThat(net.linear1.weight().toFloatArray()).containsExactly(before);

        Map<String, Tensor> partial = Map.of("linear1.weight", Tensor.zeros(4, 5), "extra", Tensor.zeros(2));
        assertThatThrownBy(() -> net.loadStateDict(partial, true))
                .hasMessageContaining("Missing key(s): linear2.weight")
                .hasMessageContaining("Unexpected key(s): extra");
        Module.LoadResult result = net.loadStateDict(partial, false);
        assertThat(result.missingKeys()).containsExactly("linear2.weight");
        assertThat(result.unexpectedKeys()).containsExactly("extra");
        assertThat(net.linear1.weight().toFloatArray()).containsOnly(0f);
    }

    @Test
    void loadStateDictConvertsElementTypes() {
        Linear layer = new Linear(2, 1, false);
        layer.loadStateDict(Map.of("weight", Tensor.of(new double[][] {{0.5, -1.5}})), true);
        assertThat(layer.weight().toFloatArray()).containsExactly(0.5f, -1.5f);
    }
}
