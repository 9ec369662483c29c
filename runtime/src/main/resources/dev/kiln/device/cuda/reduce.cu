// Sums, launched with KILN_BLOCK (256) threads per block.
//
//   kiln_sum_f32(const float* x, float* partial, long long n)
//       partial[blockIdx.x] = the sum of this block's grid-stride share of x[0..n). Launched once
//       over x with G blocks and then once with one block over the G partials, it sums the whole
//       array in a fixed order (the same result every run, unlike atomics).
//   kiln_sum_rows_f32(const float* x, float* y, int rows, int cols)
//       y[r] = sum over c of x[r * cols + c]; one block per row (gridDim.x >= 1, rows looped).
//   kiln_sum_cols_f32(const float* x, float* y, int rows, int cols)
//       y[c] = sum over r of x[r * cols + c] (a bias gradient); one thread per column, so neighbouring
//       threads read neighbouring addresses.
#include "common.cuh"

template <typename T>
__device__ void sum_partial(const T* x, T* partial, long long n) {
    __shared__ T scratch[KILN_BLOCK];
    T acc = 0;
    KILN_GRID_STRIDE(i, n) acc += x[i];
    T total = block_sum(acc, scratch);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

template <typename T>
__device__ void sum_rows(const T* x, T* y, int rows, int cols) {
    __shared__ T scratch[KILN_BLOCK];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + (long long) r * cols;
        T acc = 0;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) acc += row[c];
        T total = block_sum(acc, scratch);
        if (threadIdx.x == 0) y[r] = total;
    }
}

template <typename T>
__device__ void sum_cols(const T* x, T* y, int rows, int cols) {
    KILN_GRID_STRIDE(c, cols) {
        T acc = 0;
        for (int r = 0; r < rows; r++) acc += x[(long long) r * cols + c];
        y[c] = acc;
    }
}

extern "C" __global__ void kiln_sum_f32(const float* x, float* partial, long long n) { sum_partial(x, partial, n); }
extern "C" __global__ void kiln_sum_f64(const double* x, double* partial, long long n) { sum_partial(x, partial, n); }
extern "C" __global__ void kiln_sum_rows_f32(const float* x, float* y, int rows, int cols) { sum_rows(x, y, rows, cols); }
extern "C" __global__ void kiln_sum_rows_f64(const double* x, double* y, int rows, int cols) { sum_rows(x, y, rows, cols); }
extern "C" __global__ void kiln_sum_cols_f32(const float* x, float* y, int rows, int cols) { sum_cols(x, y, rows, cols); }
extern "C" __global__ void kiln_sum_cols_f64(const double* x, double* y, int rows, int cols) { sum_cols(x, y, rows, cols); }
