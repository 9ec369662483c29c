package dev.kiln;

/** Writes tensors as PyTorch prints them. */
final class TensorFormatter {
    private TensorFormatter() {}

    static String format(Tensor t) {
        return "tensor(" + java.util.Arrays.toString(t.toDoubleArray()) + ")";
    }
}
