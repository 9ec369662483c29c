/**
 * {@code kiln train}: an MLP trained on any CSV file, one small class per step.
 *
 * <ol>
 *   <li>{@link dev.kiln.examples.train.CsvInput} reads the file (plain or gzipped, header detected) and
 *       checks the columns named on the command line;</li>
 *   <li>{@link dev.kiln.examples.train.Task} is classification or regression, guessed from the target
 *       column when not given;</li>
 *   <li>{@link dev.kiln.examples.train.Encoder} splits the rows, one-hot encodes the string columns and
 *       standardises the numeric ones with the training split's statistics;</li>
 *   <li>{@link dev.kiln.examples.train.Mlp} builds the {@code Sequential} of {@code Linear} layers and
 *       activations, whose state dict has PyTorch's {@code nn.Sequential} key names;</li>
 *   <li>{@link dev.kiln.examples.train.Trainer} runs the epochs and measures the test split;</li>
 *   <li>{@link dev.kiln.examples.train.TrainCommand} ties them together, writes {@code model.safetensors}
 *       and {@code loss.png}, and prints the test metric last.</li>
 * </ol>
 *
 * <p>Input the command cannot use is a {@link dev.kiln.examples.train.BadInputException}: one message,
 * exit code 2.
 */
package dev.kiln.examples.train;
