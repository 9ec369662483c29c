package dev.kiln.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.device.cuda.Cuda;
import dev.kiln.device.cuda.FakeCuda;
import dev.kiln.device.cuda.SymbolTable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Choosing a device: the CPU always, CUDA when the driver allows, one clear message when not. */
class DeviceTest {
    private final FakeCuda fake = new FakeCuda();

    @AfterEach
    void close() {
        fake.close();
    }

    private Cuda.Status fakeStatus() {
        return Cuda.probe(() -> new SymbolTable.Loaded("fake", fake.symbols()),
                () -> new SymbolTable.Loaded("fake", fake.symbols()));
    }

    @Test
    void withoutADriverTheBestDeviceIsTheCpuAndCudaSaysWhy() {
        assumeTrue(Cuda.status() instanceof Cuda.Unavailable u && u.reason().equals("libcuda.so.1 not found"),
                "this machine has a CUDA driver: " + Cuda.status());
        assertThat(Device.best()).isSameAs(Device.CPU);
        assertThatThrownBy(() -> Device.cuda(0)).isInstanceOf(IllegalStateException.class)
                .hasMessage("CUDA is not available: libcuda.so.1 not found");
    }

    @Test
    void withAWorkingDriverTheBestDeviceIsCuda0() {
        fake.deviceCount = 2;
        Cuda.Status status = fakeStatus();
        assertThat(Device.best(status)).isEqualTo(Device.cuda(0, status));
        assertThat(Device.cuda(1, status).toString()).isEqualTo("cuda:1");
        assertThat(Device.cuda(1, status).isCuda()).isTrue();
        assertThat(Device.CPU.isCuda()).isFalse();
    }

    @Test
    void theDriversErrorIsTheMessage() {
        fake.fail("cuInit", 100);
        Cuda.Status status = fakeStatus();
        assertThat(Device.best(status)).isSameAs(Device.CPU);
        assertThatThrownBy(() -> Device.cuda(0, status)).isInstanceOf(IllegalStateException.class)
                .hasMessage("CUDA is not available: CUDA_ERROR_NO_DEVICE: no CUDA-capable device is detected (cuInit)");
    }

    @Test
    void anIndexPastTheDevicesIsRefused() {
        fake.deviceCount = 2;
        Cuda.Status status = fakeStatus();
        assertThatThrownBy(() -> Device.cuda(3, status)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cuda:3 is not available: device index 3 out of range: 2 CUDA devices");
        assertThatThrownBy(() -> Device.cuda(-1, status)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cuda: the device index must be non-negative, but got -1");
    }

    @Test
    void devicesAreValues() {
        fake.deviceCount = 1;
        Cuda.Status status = fakeStatus();
        assertThat(Device.cuda(0, status)).isEqualTo(Device.cuda(0, status)).hasSameHashCodeAs(Device.cuda(0, status))
                .isNotEqualTo(Device.CPU);
        assertThat(Device.CPU.toString()).isEqualTo("cpu");
        assertThat(Device.CPU.index()).isEqualTo(-1);
    }
}
