package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA C kernels compile to PTX, without warnings, for the oldest and newest architectures Kiln
 * targets, and declare exactly the kernels and parameter types {@link CudaBackend#KERNELS} lists.
 * Needs nvcc on the PATH; skipped with the reason otherwise.
 */
class KernelSourcesTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sm_75", "sm_90"})
    void everyKernelSourceCompilesToPtx(String arch, @TempDir Path out) throws Exception {
        Optional<Path> nvcc = Nvcc.find();
        assumeTrue(nvcc.isPresent(), "nvcc is not on the PATH, so the CUDA C kernels cannot be compiled here");
        List<Path> sources = Nvcc.sources();
        assertThat(sources).isNotEmpty();

        Nvcc.Result result = Nvcc.ptx(nvcc.get(), arch, sources, out);

        assertThat(result.exitCode()).as("nvcc -ptx -arch=%s failed:%n%s", arch, result.output()).isZero();
        for (Path source : sources) {
            String name = source.getFileName().toString().replace(".cu", ".ptx");
            assertThat(Files.readString(out.resolve(name))).as(name).contains(".target " + arch);
        }
        // What the backend launches is what the sources declare: the same kernels, parameter for parameter.
        assertThat(sources).extracting(s -> s.getFileName().toString().replace(".cu", ""))
                .containsExactlyInAnyOrderElementsOf(CudaBackend.KERNELS.keySet());
        for (var module : CudaBackend.KERNELS.entrySet()) {
            String ptx = Files.readString(out.resolve(module.getKey() + ".ptx"));
            assertThat(FakeCuda.entries(ptx)).as(module.getKey() + ".ptx").isEqualTo(module.getValue());
        }
    }
}
