// Shared by the Kiln kernels: math overloaded on float and double, the grid-stride loop and the
// block-wide reductions. Every kernel has an _f32 and an _f64 entry point with C names, so the
// host looks them up by name in the PTX.
#pragma once

#define KILN_BLOCK 256  // threads per block: the host launches every kernel with this many

__device__ __forceinline__ float k_exp(float x) { return expf(x); }
__device__ __forceinline__ double k_exp(double x) { return exp(x); }
__device__ __forceinline__ float k_log(float x) { return logf(x); }
__device__ __forceinline__ double k_log(double x) { return log(x); }
__device__ __forceinline__ float k_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double k_sqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float k_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double k_abs(double x) { return fabs(x); }
__device__ __forceinline__ float k_tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double k_tanh(double x) { return tanh(x); }
__device__ __forceinline__ float k_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double k_pow(double x, double y) { return pow(x, y); }
__device__ __forceinline__ float k_max(float x, float y) { return fmaxf(x, y); }
__device__ __forceinline__ double k_max(double x, double y) { return fmax(x, y); }

// for (i = this thread's first index; i < n; i += all threads of the grid)
#define KILN_GRID_STRIDE(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) blockDim.x * gridDim.x)

// The sum of every thread's v over the block, returned to all threads. scratch holds KILN_BLOCK values.
template <typename T>
__device__ T block_sum(T v, T* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = KILN_BLOCK / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) scratch[threadIdx.x] += scratch[threadIdx.x + half];
        __syncthreads();
    }
    T total = scratch[0];
    __syncthreads();  // scratch is reused by the caller's next reduction
    return total;
}

// The maximum of every thread's v over the block, returned to all threads (NaN wins, as in PyTorch).
template <typename T>
__device__ T block_max(T v, T* scratch) {
    scratch[threadIdx.x] = v;
    __syncthreads();
    for (int half = KILN_BLOCK / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            T a = scratch[threadIdx.x], b = scratch[threadIdx.x + half];
            scratch[threadIdx.x] = (a != a || a > b) ? a : b;
        }
        __syncthreads();
    }
    T total = scratch[0];
    __syncthreads();
    return total;
}
