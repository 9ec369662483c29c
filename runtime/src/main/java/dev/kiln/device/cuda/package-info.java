/**
 * The CUDA backend: bindings of the CUDA driver API ({@code libcuda}) and cuBLAS
 * ({@code libcublas}) through the FFM API, device memory, the kernels shipped as PTX, and the
 * per-device backend that launches them.
 *
 * <p>Not API: users reach CUDA through {@link dev.kiln.device.Device#cuda(int)} and
 * {@link dev.kiln.device.Device#best()}. The classes are public only because the runtime's other
 * packages use them. The one type users may meet is {@link dev.kiln.device.cuda.CudaException}, the
 * error a driver or cuBLAS call reports.
 *
 * <p>Every binding looks its functions up in a {@link dev.kiln.device.cuda.SymbolTable}, so tests
 * supply a table of Java methods exposed as native function pointers and check argument
 * marshalling and error mapping on a machine without a GPU.
 */
package dev.kiln.device.cuda;
