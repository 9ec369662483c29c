package dev.kiln.examples;

import dev.kiln.device.Device;

/**
 * The devices Kiln can run on: {@code Device.best()}, and {@code Device.cuda(0)} or the one message
 * that says why CUDA cannot be used here (no driver, the driver's own error, no device, no cuBLAS).
 */
public final class Devices implements Example {

    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String description() {
        return "the devices Kiln can run on: Device.best(), and CUDA or why it cannot be used";
    }

    @Override
    public String notes() {
        return "--seed, --epochs, --out and --eager do not apply (nothing is computed, trained or written).";
    }

    @Override
    public void run(ExampleOptions o) {
        o.info("Device.best() is cuda:0 when CUDA can be used, otherwise the CPU");
        o.result("Device.best(): " + Device.best());
        try {
            o.result("Device.cuda(0): " + Device.cuda(0));
        } catch (IllegalStateException e) {
            o.result("Device.cuda(0): " + e.getMessage());
        }
    }
}
