// Row-wise softmax, log-softmax and softmax cross-entropy on a contiguous rows x cols matrix,
// launched with KILN_BLOCK (256) threads per block, one block per row (any gridDim.x >= 1: rows
// are looped). Every row is shifted by its maximum before exp, so large logits do not overflow.
//
//   kiln_softmax_f32(const float* x, float* y, int rows, int cols)      y = exp(x - lse(row))
//   kiln_log_softmax_f32(const float* x, float* y, int rows, int cols)  y = x - lse(row)
//   kiln_xent_forward_f32(const float* logits, const long long* target, float* lse, float* loss,
//                         int* status, int rows, int cols, long long ignore_index)
//       per row r with class t = target[r]: lse[r] = log(sum exp(logits[r, :])) and
//       loss[r] = lse[r] - logits[r, t]; a row whose target is ignore_index gets loss 0.
//       status[0] counts the rows not ignored (the mean's divisor); status[1], which the host sets
//       to rows beforehand, ends as the first row whose target is out of [0, cols), or rows if none.
//   kiln_xent_backward_f32(const float* logits, const long long* target, const float* lse,
//                          float* grad, int rows, int cols, long long ignore_index, float scale)
//       grad[r, c] = (softmax(logits)[r, c] - [c == target[r]]) * scale, 0 on ignored rows: the
//       gradient of the summed loss times scale (1 / count for the mean).
#include "common.cuh"

// log(sum(exp(row))), computed as max + log(sum(exp(row - max))).
template <typename T>
__device__ T row_lse(const T* row, int cols, T* scratch) {
    T m = -INFINITY;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        T v = row[c];
        m = (v != v || v > m) ? v : m;
    }
    m = block_max(m, scratch);
    if (m == -INFINITY || m == INFINITY || m != m) return m;  // all -inf, an inf or a NaN: the row is degenerate
    T acc = 0;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) acc += k_exp(row[c] - m);
    return m + k_log(block_sum(acc, scratch));
}

template <typename T>
__device__ void softmax(const T* x, T* y, int rows, int cols, bool log) {
    __shared__ T scratch[KILN_BLOCK];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = x + (long long) r * cols;
        T* out = y + (long long) r * cols;
        T lse = row_lse(row, cols, scratch);
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            out[c] = log ? row[c] - lse : k_exp(row[c] - lse);
        }
    }
}

template <typename T>
__device__ void xent_forward(const T* logits, const long long* target, T* lse, T* loss, int* status,
                             int rows, int cols, long long ignore_index) {
    __shared__ T scratch[KILN_BLOCK];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = logits + (long long) r * cols;
        T l = row_lse(row, cols, scratch);
        if (threadIdx.x == 0) {
            long long t = target[r];
            lse[r] = l;
            if (t == ignore_index) {
                loss[r] = 0;
            } else if (t < 0 || t >= cols) {
                loss[r] = 0;
                atomicMin(&status[1], r);
            } else {
                loss[r] = l - row[t];
                atomicAdd(&status[0], 1);
            }
        }
    }
}

template <typename T>
__device__ void xent_backward(const T* logits, const long long* target, const T* lse, T* grad,
                              int rows, int cols, long long ignore_index, T scale) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* row = logits + (long long) r * cols;
        T* g = grad + (long long) r * cols;
        long long t = target[r];
        bool ignored = t == ignore_index || t < 0 || t >= cols;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            g[c] = ignored ? (T) 0 : (k_exp(row[c] - lse[r]) - (c == t ? (T) 1 : (T) 0)) * scale;
        }
    }
}

#define SOFTMAX_T(T, suffix)                                                                              \
    extern "C" __global__ void kiln_softmax_##suffix(const T* x, T* y, int rows, int cols) {              \
        softmax(x, y, rows, cols, false);                                                                 \
    }                                                                                                     \
    extern "C" __global__ void kiln_log_softmax_##suffix(const T* x, T* y, int rows, int cols) {          \
        softmax(x, y, rows, cols, true);                                                                  \
    }                                                                                                     \
    extern "C" __global__ void kiln_xent_forward_##suffix(const T* logits, const long long* target, T* lse, \
            T* loss, int* status, int rows, int cols, long long ignore_index) {                           \
        xent_forward(logits, target, lse, loss, status, rows, cols, ignore_index);                        \
    }                                                                                                     \
    extern "C" __global__ void kiln_xent_backward_##suffix(const T* logits, const long long* target,      \
            const T* lse, T* grad, int rows, int cols, long long ignore_index, T scale) {                 \
        xent_backward(logits, target, lse, grad, rows, cols, ignore_index, scale);                        \
    }

SOFTMAX_T(float, f32)
SOFTMAX_T(double, f64)
