package dev.kiln.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A save that fails at any point leaves the previous file intact and no temporary file behind. */
class SafetensorsAtomicSaveTest {
    @TempDir
    Path dir;

    private Path file;
    private byte[] previous;

    private void writePrevious() throws IOException {
        file = dir.resolve("model.safetensors");
        Safetensors.save(Map.of("old", Tensor.of(1f, 2f, 3f)), Map.of("version", "1"), file);
        previous = Files.readAllBytes(file);
    }

    private Map<String, Tensor> newState() {
        return Map.of("weight", Tensor.randn(512, 1024), "bias", Tensor.randn(1024)); // about 2 MB: several chunks
    }

    private List<Path> directoryContents() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    private void assertPreviousIntact() throws IOException {
        assertThat(Files.readAllBytes(file)).isEqualTo(previous);
        assertThat(Safetensors.load(file)).containsOnlyKeys("old");
        assertThat(directoryContents()).as("no temporary file may be left").containsExactly(file);
    }

    /** A channel that writes {@code limit} bytes through and then fails, as a full disk or a dying device does. */
    private static UnaryOperator<WritableByteChannel> failingAfter(long limit, IOException failure) {
        return channel -> new WritableByteChannel() {
            final AtomicLong written = new AtomicLong();

            @Override
            public int write(ByteBuffer src) throws IOException {
                long room = limit - written.get();
                if (room <= 0) {
                    throw failure;
                }
                ByteBuffer part = src.slice().limit((int) Math.min(src.remaining(), room));
                int n = channel.write(part);
                src.position(src.position() + n);
                written.addAndGet(n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return channel.isOpen();
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 5, 8, 100, 1 << 20, 2_000_000})
    void anIoErrorMidWriteLeavesThePreviousFile(long failAfter) throws Exception {
        writePrevious();
        IOException diskFull = new IOException("No space left on device");
        assertThatThrownBy(() -> Safetensors.save(newState(), Map.of(), file, failingAfter(failAfter, diskFull)))
                .isSameAs(diskFull);
        assertPreviousIntact();
    }

    @Test
    void anUncheckedFailureMidWriteLeavesThePreviousFile() throws Exception {
        writePrevious();
        UnaryOperator<WritableByteChannel> exploding = channel -> new WritableByteChannel() {
            int calls;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (++calls == 3) {
                    throw new OutOfMemoryError("simulated");
                }
                return channel.write(src);
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
        assertThatThrownBy(() -> Safetensors.save(newState(), Map.of(), file, exploding))
                .isInstanceOf(OutOfMemoryError.class);
        assertPreviousIntact();
    }

    @Test
    void anInterruptedSaveLeavesThePreviousFile() throws Exception {
        writePrevious();
        // A real failure of the real file channel: an interrupted thread's FileChannel closes itself.
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Safetensors.save(newState(), file)).isInstanceOf(ClosedByInterruptException.class);
        } finally {
            assertThat(Thread.interrupted()).isTrue(); // clears the flag for the tests that follow
        }
        assertPreviousIntact();
    }

    @Test
    void aTargetThatCannotBeReplacedLeavesNoTemporaryFile() throws Exception {
        // The target is a non-empty directory: writing the temporary file works, the final move fails.
        Path target = dir.resolve("model.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "kept");
        assertThatThrownBy(() -> Safetensors.save(newState(), target)).isInstanceOf(IOException.class);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
        assertThat(Files.readString(target.resolve("keep.txt"))).isEqualTo("kept");
    }

    @Test
    void aMissingDirectoryFailsWithoutCreatingAnything() throws Exception {
        Path missing = dir.resolve("no/such/dir/model.safetensors");
        assertThatThrownBy(() -> Safetensors.save(newState(), missing)).isInstanceOf(NoSuchFileException.class);
        assertThat(directoryContents()).isEmpty();
    }

    @Test
    void aSuccessfulSaveReplacesTheFileAndLeavesNothingElse() throws Exception {
        writePrevious();
        Map<String, Tensor> state = newState();
        Safetensors.save(state, file);
        assertThat(directoryContents()).containsExactly(file);
        StFiles.assertSameBits(Safetensors.load(file), state);
    }

    @Test
    void aSaveIntoTheCurrentDirectoryByRelativeName() throws Exception {
        // A bare file name has no parent; the temporary file must still go beside the target.
        Path relative = Path.of("kiln-io-relative-" + ProcessHandle.current().pid() + ".safetensors");
        try {
            Safetensors.save(Map.of("x", Tensor.of(1f)), relative);
            assertThat(Safetensors.load(relative)).containsOnlyKeys("x");
        } finally {
            Files.deleteIfExists(relative);
        }
    }
}
