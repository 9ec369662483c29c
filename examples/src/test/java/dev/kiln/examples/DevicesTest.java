package dev.kiln.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.device.Device;
import org.junit.jupiter.api.Test;

/** The devices example prints the best device and what Device.cuda(0) gives, or why it cannot. */
class DevicesTest {

    @Test
    void printsTheBestDeviceAndWhatCudaGives() {
        var r = ExampleRunner.kiln("run", "devices", "--quiet");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).first().isEqualTo("Device.best(): " + Device.best());
        String cuda = r.out().lines().toList().get(1);
        if (Device.best().isCuda()) {
            assertThat(cuda).isEqualTo("Device.cuda(0): cuda:0");
        } else {
            assertThat(cuda).startsWith("Device.cuda(0): CUDA is not available: ");
        }
    }
}
