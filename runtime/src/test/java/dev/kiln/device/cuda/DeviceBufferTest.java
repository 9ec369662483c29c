package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Device memory is freed exactly once, by close or by the cleaner, and counted while it lives. */
class DeviceBufferTest {
    private final FakeCuda fake = new FakeCuda();
    private final CudaContext context = CudaContext.retain(new CudaDriver(fake.symbols()), 0);

    @AfterEach
    void noUpcallFailed() {
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    @Test
    void closeFreesOnceAndTheCountsReturnToZero() {
        DeviceBuffer a = context.allocate(1024);
        DeviceBuffer b = context.allocate(24);
        assertThat(context.liveBytes()).isEqualTo(1048);
        assertThat(fake.allocatedBytes()).isEqualTo(1048);

        a.close();
        a.close();
        b.close();
        assertThat(context.liveBytes()).isZero();
        assertThat(fake.allocatedBytes()).isZero();
        assertThat(fake.count("cuMemAlloc_v2")).isEqualTo(2);
        assertThat(fake.count("cuMemFree_v2")).isEqualTo(2);
        assertThat(a.isClosed()).isTrue();
    }

    @Test
    void theContextIsMadeCurrentBeforeEveryAllocationAndFree() {
        context.allocate(16).close();
        assertThat(fake.functionsCalled()).containsSubsequence("cuCtxSetCurrent", "cuMemAlloc_v2",
                "cuCtxSetCurrent", "cuMemFree_v2");
    }

    @Test
    void aClosedBufferRefusesItsPointer() {
        DeviceBuffer buffer = context.allocate(8);
        buffer.close();
        assertThatThrownBy(buffer::pointer).isInstanceOf(IllegalStateException.class)
                .hasMessage("this 8-byte buffer on cuda:0 was closed");
    }

    @Test
    void anEmptyBufferCostsNoDriverCall() {
        DeviceBuffer empty = context.allocate(0);
        empty.close();
        assertThat(fake.count("cuMemAlloc_v2")).isZero();
        assertThat(fake.count("cuMemFree_v2")).isZero();
        assertThat(context.liveBytes()).isZero();
    }

    @Test
    void aNegativeSizeIsRefused() {
        assertThatThrownBy(() -> context.allocate(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("allocate: the size must be non-negative, but got -1 bytes");
    }

    @Test
    void aFailedAllocationCountsNothing() {
        fake.fail("cuMemAlloc_v2", 2);
        assertThatThrownBy(() -> context.allocate(1L << 30))
                .hasMessage("CUDA_ERROR_OUT_OF_MEMORY: out of memory (cuMemAlloc_v2, 1073741824 bytes)");
        assertThat(context.liveBytes()).isZero();
    }

    @Test
    void theCleanerFreesBuffersThatBecameUnreachable() throws InterruptedException {
        allocateAndDrop(10, 512);
        assertThat(context.liveBytes()).isEqualTo(5120);

        // Bounded wait: collect and give the cleaner's thread a moment, until everything is freed or time is up.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (context.liveBytes() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(context.liveBytes()).isZero();
        assertThat(fake.allocatedBytes()).isZero();
        assertThat(fake.count("cuMemFree_v2")).isEqualTo(10);
    }

    @Test
    void aBufferClosedBeforeItIsCollectedIsNotFreedAgain() throws InterruptedException {
        List<DeviceBuffer> kept = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            kept.add(context.allocate(64));
        }
        kept.forEach(DeviceBuffer::close);
        kept.clear();
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(fake.count("cuMemFree_v2")).isEqualTo(5);
        assertThat(context.liveBytes()).isZero();
    }

    private void allocateAndDrop(int count, long bytes) {
        for (int i = 0; i < count; i++) {
            context.allocate(bytes);
        }
    }
}
