package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA C kernels compile to PTX, without warnings, for the oldest and newest architectures Kiln
 * targets, and declare exactly the kernels and parameter types {@link CudaBackend#KERNELS} lists.
 * Needs nvcc on the PATH; skipped with the reason otherwise.
 */
class KernelSourcesTest {
    /** The oldest architecture Kiln ships PTX for, and the newest it is tested against. */
    private static final List<String> ARCHITECTURES = List.of("sm_75", "sm_90");

    @Test
    void everyKernelSourceCompilesToPtx(@TempDir Path out) throws Exception {
        Optional<Path> nvcc = Nvcc.find();
        assumeTrue(nvcc.isPresent(), "nvcc is not on the PATH, so the CUDA C kernels cannot be compiled here");
        List<Path> sources = Nvcc.sources();
        assertThat(sources).isNotEmpty();

        // One nvcc per architecture, side by side: each is single-threaded.
        Map<String, Process> runs = new LinkedHashMap<>();
        for (String arch : ARCHITECTURES) {
            runs.put(arch, Nvcc.startPtx(nvcc.get(), arch, sources, Files.createDirectories(out.resolve(arch))));
        }
        for (var run : runs.entrySet()) {
            String arch = run.getKey();
            Path dir = out.resolve(arch);
            Nvcc.Result result = Nvcc.finish(run.getValue(), dir);
            assertThat(result.exitCode()).as("nvcc -ptx -arch=%s failed:%n%s", arch, result.output()).isZero();
            for (Path source : sources) {
                String name = source.getFileName().toString().replace(".cu", ".ptx");
                assertThat(Files.readString(dir.resolve(name))).as(arch + " " + name).contains(".target " + arch);
            }
            // What the backend launches is what the sources declare: the same kernels, parameter for parameter.
            assertThat(sources).extracting(s -> s.getFileName().toString().replace(".cu", ""))
                    .containsExactlyInAnyOrderElementsOf(CudaBackend.KERNELS.keySet());
            for (var module : CudaBackend.KERNELS.entrySet()) {
                String ptx = Files.readString(dir.resolve(module.getKey() + ".ptx"));
                assertThat(FakeCuda.entries(ptx)).as(arch + " " + module.getKey() + ".ptx").isEqualTo(module.getValue());
            }
        }
    }
}
