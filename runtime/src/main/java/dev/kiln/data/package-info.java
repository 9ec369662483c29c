/**
 * Feeding data to a training loop, Kiln's counterpart of {@code torch.utils.data} together with the
 * bits of pandas and scikit-learn the tutorials use to prepare a table.
 *
 * <ul>
 *   <li>{@link dev.kiln.data.Dataset}: samples by index; {@link dev.kiln.data.TensorDataset} holds
 *       tensors that share their first dimension; {@link dev.kiln.data.Subset} and
 *       {@link dev.kiln.data.Dataset#randomSplit(Dataset, double[], dev.kiln.Generator)} split one.
 *   <li>{@link dev.kiln.data.DataLoader}: mini-batches in order or shuffled from a seed, with an
 *       optional last partial batch and optional prefetching on background threads.
 *   <li>{@link dev.kiln.data.CsvTable}: a CSV file read into typed columns (Apache Commons CSV does
 *       the parsing), with pandas' {@code get_dummies} one-hot encoding and conversion to a tensor.
 *   <li>{@link dev.kiln.data.StandardScaler}: scikit-learn's per-column standardisation.
 * </ul>
 *
 * <pre>{@code
 * CsvTable table = CsvTable.read(Path.of("temps.csv")).oneHot("week");
 * Tensor y = table.toTensor("actual");
 * StandardScaler scaler = new StandardScaler();
 * Tensor x = scaler.fitTransform(table.drop("actual").toTensor());
 *
 * DataLoader<Tensor[]> loader = DataLoader.builder(new TensorDataset(x, y))
 *         .batchSize(16).shuffle(true).generator(new Generator(0)).build();
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     for (Tensor[] batch : loader) {
 *         Tensor xb = batch[0], yb = batch[1];
 *         // forward, loss, backward, step
 *     }
 * }
 * }</pre>
 */
package dev.kiln.data;
