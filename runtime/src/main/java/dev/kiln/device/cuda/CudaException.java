package dev.kiln.device.cuda;

import java.io.Serial;

/**
 * A CUDA driver or cuBLAS call that did not succeed, with the library's own name and description
 * of the code and the call it came from, for example
 * {@code CUDA_ERROR_OUT_OF_MEMORY: out of memory (cuMemAlloc_v2, 1073741824 bytes)}.
 */
public final class CudaException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String errorName;

    /**
     * @param code        the {@code CUresult} or {@code cublasStatus_t} value
     * @param errorName   its symbolic name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}
     * @param description what the library says it means, e.g. {@code out of memory}
     * @param call        the function called and, where useful, its arguments, e.g. {@code cuMemAlloc_v2, 1024 bytes}
     */
    public CudaException(int code, String errorName, String description, String call) {
        super(errorName + ": " + description + " (" + call + ")");
        this.code = code;
        this.errorName = errorName;
    }

    /** The numeric code the library returned. */
    public int code() {
        return code;
    }

    /** The code's symbolic name, e.g. {@code CUDA_ERROR_NO_DEVICE}. */
    public String errorName() {
        return errorName;
    }

    /** Whether the device ran out of memory ({@code CUDA_ERROR_OUT_OF_MEMORY}, code 2). */
    public boolean isOutOfMemory() {
        return code == 2 && "CUDA_ERROR_OUT_OF_MEMORY".equals(errorName);
    }
}
