package dev.kiln.compiled;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.DType;
import dev.kiln.Tensor;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class CompiledTest {
    @Test
    void theCommonTypeOfAnInputAndItsParameters() {
        Tensor x = Tensor.zeros(2, 3);
        Tensor[] floats = {Tensor.zeros(3, 4), Tensor.zeros(4)};
        assertThat(Compiled.commonType(x, floats)).isEqualTo(DType.FLOAT32);
        assertThat(Compiled.commonType(x, new Tensor[0])).isEqualTo(DType.FLOAT32);
        assertThat(Compiled.commonType(x.to(DType.FLOAT64), floats)).as("a float64 input").isNull();
        assertThat(Compiled.commonType(x, new Tensor[] {floats[0], floats[1].to(DType.FLOAT64)}))
                .as("a float64 parameter").isNull();
    }

    /** Generated classes keep their parameters in an array, so the check each call starts with allocates nothing. */
    @Test
    void theCommonTypeOfAnInputAndAnArrayOfParametersAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        Tensor x = Tensor.zeros(2, 3);
        Tensor[] parameters = {Tensor.zeros(3, 4), Tensor.zeros(4), Tensor.zeros(4, 2), Tensor.zeros(2)};
        int found = 0;
        threads.getThreadAllocatedBytes(id);
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 10_000; i++) {
            found += Compiled.commonType(x, parameters) == DType.FLOAT32 ? 1 : 0;
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(found).isEqualTo(10_000);
        assertThat(allocated).as("bytes allocated by 10,000 checks").isLessThan(10_000);
    }
}
