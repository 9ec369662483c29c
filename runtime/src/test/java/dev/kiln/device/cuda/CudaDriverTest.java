package dev.kiln.device.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The driver binding against a fake driver: what each call passes, what it reads back, how errors read. */
class CudaDriverTest {
    private final FakeCuda fake = new FakeCuda();
    private final CudaDriver driver = new CudaDriver(fake.symbols());

    @AfterEach
    void noUpcallFailed() {
        assertThat(fake.errors).isEmpty();
        fake.close();
    }

    @Test
    void initPassesZeroFlags() {
        driver.init();
        assertThat(fake.calls).containsExactly("cuInit(0)");
    }

    @Test
    void deviceQueriesReadTheirOutParameters() {
        fake.deviceCount = 3;
        assertThat(driver.deviceCount()).isEqualTo(3);
        int device = driver.deviceGet(2);
        assertThat(device).isEqualTo(42);
        assertThat(driver.deviceName(device)).isEqualTo("Fake GPU 42");
        assertThat(driver.deviceTotalMem(device)).isEqualTo(80L << 30);
        assertThat(fake.calls).containsExactly("cuDeviceGetCount()", "cuDeviceGet(2)",
                "cuDeviceGetName(256, 42)", "cuDeviceTotalMem_v2(42)");
    }

    @Test
    void contextsAndStreamsPassTheirHandles() {
        MemorySegment context = driver.primaryCtxRetain(7);
        driver.ctxSetCurrent(context);
        MemorySegment stream = driver.streamCreate(0);
        driver.streamSynchronize(stream);
        driver.streamDestroy(stream);
        driver.primaryCtxRelease(7);
        assertThat(context).isEqualTo(FakeCuda.CONTEXT);
        assertThat(stream).isEqualTo(FakeCuda.STREAM);
        assertThat(fake.calls).containsExactly("cuDevicePrimaryCtxRetain(7)", "cuCtxSetCurrent(0xc0c0)",
                "cuStreamCreate(0)", "cuStreamSynchronize(0x5e00)", "cuStreamDestroy_v2(0x5e00)",
                "cuDevicePrimaryCtxRelease_v2(7)");
    }

    @Test
    void memoryRoundTripsThroughEveryCopy() {
        long a = driver.memAlloc(16);
        long b = driver.memAlloc(16);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_FLOAT, 1f, 2f, 3f, 4f);
            driver.memcpyHtoD(a, host, 16);
            driver.memcpyDtoD(b, a, 16);
            MemorySegment back = arena.allocate(16);
            driver.memcpyDtoH(back, b, 16);
            assertThat(back.toArray(JAVA_FLOAT)).containsExactly(1f, 2f, 3f, 4f);

            MemorySegment stream = driver.streamCreate(0);
            driver.memcpyHtoDAsync(a, arena.allocateFrom(JAVA_FLOAT, 5f, 6f, 7f, 8f), 16, stream);
            driver.memcpyDtoDAsync(b, a, 16, stream);
            MemorySegment asyncBack = arena.allocate(16);
            driver.memcpyDtoHAsync(asyncBack, b, 16, stream);
            assertThat(asyncBack.toArray(JAVA_FLOAT)).containsExactly(5f, 6f, 7f, 8f);
        }
        driver.memFree(a);
        driver.memFree(b);
        assertThat(fake.allocatedBytes()).isZero();
        assertThat(fake.calls).contains("cuMemAlloc_v2(16)", "cuMemcpyHtoD_v2(16)", "cuMemcpyDtoD_v2(16)",
                "cuMemcpyDtoH_v2(16)", "cuMemcpyHtoDAsync_v2(16, stream 0x5e00)",
                "cuMemcpyDtoDAsync_v2(16, stream 0x5e00)", "cuMemcpyDtoHAsync_v2(16, stream 0x5e00)");
    }

    @Test
    void aHostBufferSmallerThanTheCopyIsRefusedBeforeTheCall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(8);
            assertThatThrownBy(() -> driver.memcpyHtoD(0x1000, host, 16))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cuMemcpyHtoD_v2: the host buffer holds 8 bytes, but the copy is of 16 bytes");
        }
        assertThat(fake.calls).isEmpty();
    }

    @Test
    void anErrorCodeBecomesTheDriversNameAndStringWithTheCall() {
        fake.fail("cuMemAlloc_v2", 2);
        assertThatThrownBy(() -> driver.memAlloc(1L << 30))
                .isInstanceOfSatisfying(CudaException.class, e -> {
                    assertThat(e.code()).isEqualTo(2);
                    assertThat(e.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
                })
                .hasMessage("CUDA_ERROR_OUT_OF_MEMORY: out of memory (cuMemAlloc_v2, 1073741824 bytes)");
    }

    @Test
    void aCodeTheDriverCannotNameIsStillReported() {
        fake.fail("cuInit", 12345);
        assertThatThrownBy(driver::init).isInstanceOf(CudaException.class)
                .hasMessage("CUresult 12345: unknown error (cuInit)");
    }

    @Test
    void freeingAPointerTwiceIsTheDriversInvalidValue() {
        long p = driver.memAlloc(8);
        driver.memFree(p);
        assertThatThrownBy(() -> driver.memFree(p)).isInstanceOf(CudaException.class)
                .hasMessage("CUDA_ERROR_INVALID_VALUE: invalid argument (cuMemFree_v2, 0x" + Long.toHexString(p) + ")");
    }

    @Test
    void modulesAndFunctionsAreFoundByName() {
        String ptx = FakeCuda.ptx(Map.of("kiln_demo_f32", List.of("u64", "u32")));
        MemorySegment module = driver.moduleLoadData("demo.ptx", ptx);
        assertThat(driver.moduleGetFunction(module, "kiln_demo_f32").address()).isNotZero();
        assertThatThrownBy(() -> driver.moduleGetFunction(module, "kiln_missing_f32"))
                .isInstanceOf(CudaException.class)
                .hasMessage("CUDA_ERROR_NOT_FOUND: named symbol not found (cuModuleGetFunction, kiln_missing_f32)");
        assertThatThrownBy(() -> driver.moduleLoadData("broken.ptx", "not ptx"))
                .hasMessage("CUDA_ERROR_INVALID_PTX: a PTX JIT compilation failed (cuModuleLoadData, broken.ptx)");
    }

    @Test
    void aLaunchPassesGridBlockStreamAndOnePointerPerArgument() {
        String ptx = FakeCuda.ptx(Map.of("kiln_all_f32", List.of("u64", "u32", "u64", "f32", "f64")));
        MemorySegment function = driver.moduleGetFunction(driver.moduleLoadData("all.ptx", ptx), "kiln_all_f32");
        var args = new KernelArgs().pointer(0xDEAD_BEEF_0000L).i32(-7).i64(1L << 40).f32(2.5f).f64(-0.125);
        driver.launchKernel(function, "kiln_all_f32", new Dim3(3, 2, 1), Dim3.of(256), 64, FakeCuda.STREAM, args);

        assertThat(fake.launches).singleElement().satisfies(launch -> {
            assertThat(launch.kernel()).isEqualTo("kiln_all_f32");
            assertThat(launch.grid()).isEqualTo(new Dim3(3, 2, 1));
            assertThat(launch.block()).isEqualTo(new Dim3(256, 1, 1));
            assertThat(launch.sharedBytes()).isEqualTo(64);
            assertThat(launch.stream()).isEqualTo(FakeCuda.STREAM);
            assertThat(launch.args()).containsExactly(0xDEAD_BEEF_0000L, -7, 1L << 40, 2.5f, -0.125);
        });
        assertThat(args.ptxTypes()).containsExactly("u64", "u32", "u64", "f32", "f64");
    }

    @Test
    void aFailedLaunchNamesTheKernel() {
        String ptx = FakeCuda.ptx(Map.of("kiln_k_f32", List.of("u64")));
        MemorySegment function = driver.moduleGetFunction(driver.moduleLoadData("k.ptx", ptx), "kiln_k_f32");
        fake.fail("cuLaunchKernel", 700);
        assertThatThrownBy(() -> driver.launchKernel(function, "kiln_k_f32", Dim3.of(1), Dim3.of(1), 0,
                MemorySegment.NULL, new KernelArgs().i64(1)))
                .hasMessage("CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access was encountered (cuLaunchKernel, kiln_k_f32)");
    }

    @Test
    void aMissingFunctionIsNamedWhenBinding() {
        assertThatThrownBy(() -> new CudaDriver(fake.symbolsWithout("cuMemAlloc_v2")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("libcuda.so.1 has no function cuMemAlloc_v2; it is older than this Kiln runtime needs");
    }

    @Test
    void dimensionsMustBePositive() {
        assertThatThrownBy(() -> new Dim3(0, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Dim3: every extent must be at least 1, but got (0, 1, 1)");
    }
}
