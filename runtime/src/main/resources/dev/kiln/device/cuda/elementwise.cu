// Elementwise kernels on contiguous arrays of n elements (float: _f32, double: _f64).
//
//   kiln_<op>_f32(const float* x, float* y, long long n)              y[i] = op(x[i])
//   kiln_<op>_f32(const float* a, const float* b, float* y, long long n)  y[i] = a[i] op b[i]
//   kiln_<op>_ts_f32(const float* a, float s, float* y, long long n)   y[i] = a[i] op s
//   kiln_<op>_st_f32(float s, const float* b, float* y, long long n)   y[i] = s op b[i]
//   kiln_<act>_backward_f32(const float* out, const float* grad, float* y, long long n)
//       y[i] = grad[i] * act'(x[i]), written with the forward output out = act(x)
//   kiln_fill_f32(float* y, float value, long long n)                  y[i] = value
//   kiln_add_bias_f32(float* y, const float* bias, int rows, int cols)
//       y[r, c] += bias[c] on a row-major rows x cols matrix: a Linear layer's bias after its GEMM
//   kiln_clamp_f32(const float* x, float* y, float lo, float hi, long long n)
//       y[i] = min(max(x[i], lo), hi), NaN kept; an absent bound is passed as an infinity
//   kiln_clamp_backward_f32(const float* x, const float* grad, float* y, float lo, float hi, long long n)
//       y[i] = grad[i] where lo <= x[i] <= hi, else 0
//   kiln_gather_f32(const float* x, float* y, long long n, long long offset, int s0..s5, long long t0..t5)
//       y in row-major order from the strided view of x with sizes s and strides t (leading unused
//       dimensions have size 1); _f64 copies any 8-byte element (float64 and int64) bit for bit
//
// y may be one of the inputs (in place). Any grid size works: every kernel loops with the grid's stride.
#include "common.cuh"

template <typename T> __device__ __forceinline__ T f_neg(T x) { return -x; }
template <typename T> __device__ __forceinline__ T f_exp(T x) { return k_exp(x); }
template <typename T> __device__ __forceinline__ T f_log(T x) { return k_log(x); }
template <typename T> __device__ __forceinline__ T f_sqrt(T x) { return k_sqrt(x); }
template <typename T> __device__ __forceinline__ T f_abs(T x) { return k_abs(x); }
template <typename T> __device__ __forceinline__ T f_sign(T x) { return x != x ? x : (T) ((x > 0) - (x < 0)); }
// NaN passes through relu, as torch.relu does.
template <typename T> __device__ __forceinline__ T f_relu(T x) { return x > 0 || x != x ? x : (T) 0; }
// exp of a non-positive argument only, so neither branch overflows.
template <typename T> __device__ __forceinline__ T f_sigmoid(T x) {
    if (x >= 0) return (T) 1 / ((T) 1 + k_exp(-x));
    T e = k_exp(x);
    return e / ((T) 1 + e);
}
template <typename T> __device__ __forceinline__ T f_tanh(T x) { return k_tanh(x); }

#define UNARY(op)                                                                       \
    extern "C" __global__ void kiln_##op##_f32(const float* x, float* y, long long n) { \
        KILN_GRID_STRIDE(i, n) y[i] = f_##op<float>(x[i]);                              \
    }                                                                                   \
    extern "C" __global__ void kiln_##op##_f64(const double* x, double* y, long long n) { \
        KILN_GRID_STRIDE(i, n) y[i] = f_##op<double>(x[i]);                             \
    }

UNARY(neg)
UNARY(exp)
UNARY(log)
UNARY(sqrt)
UNARY(abs)
UNARY(sign)
UNARY(relu)
UNARY(sigmoid)
UNARY(tanh)

template <typename T> __device__ __forceinline__ T g_add(T a, T b) { return a + b; }
template <typename T> __device__ __forceinline__ T g_sub(T a, T b) { return a - b; }
template <typename T> __device__ __forceinline__ T g_mul(T a, T b) { return a * b; }
template <typename T> __device__ __forceinline__ T g_div(T a, T b) { return a / b; }
template <typename T> __device__ __forceinline__ T g_pow(T a, T b) { return k_pow(a, b); }

#define BINARY_T(op, T, suffix)                                                                        \
    extern "C" __global__ void kiln_##op##_##suffix(const T* a, const T* b, T* y, long long n) {       \
        KILN_GRID_STRIDE(i, n) y[i] = g_##op<T>(a[i], b[i]);                                           \
    }                                                                                                  \
    extern "C" __global__ void kiln_##op##_ts_##suffix(const T* a, T s, T* y, long long n) {           \
        KILN_GRID_STRIDE(i, n) y[i] = g_##op<T>(a[i], s);                                              \
    }                                                                                                  \
    extern "C" __global__ void kiln_##op##_st_##suffix(T s, const T* b, T* y, long long n) {           \
        KILN_GRID_STRIDE(i, n) y[i] = g_##op<T>(s, b[i]);                                              \
    }
#define BINARY(op) BINARY_T(op, float, f32) BINARY_T(op, double, f64)

BINARY(add)
BINARY(sub)
BINARY(mul)
BINARY(div)
BINARY(pow)

// Derivatives from the forward output: relu' = [out > 0], sigmoid' = out (1 - out), tanh' = 1 - out^2.
template <typename T> __device__ __forceinline__ T d_relu(T out) { return out > 0 ? (T) 1 : (T) 0; }
template <typename T> __device__ __forceinline__ T d_sigmoid(T out) { return out * ((T) 1 - out); }
template <typename T> __device__ __forceinline__ T d_tanh(T out) { return (T) 1 - out * out; }

#define BACKWARD_T(act, T, suffix)                                                                       \
    extern "C" __global__ void kiln_##act##_backward_##suffix(const T* out, const T* grad, T* y, long long n) { \
        KILN_GRID_STRIDE(i, n) y[i] = grad[i] * d_##act<T>(out[i]);                                      \
    }

BACKWARD_T(relu, float, f32) BACKWARD_T(relu, double, f64)
BACKWARD_T(sigmoid, float, f32) BACKWARD_T(sigmoid, double, f64)
BACKWARD_T(tanh, float, f32) BACKWARD_T(tanh, double, f64)

extern "C" __global__ void kiln_fill_f32(float* y, float value, long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = value;
}
extern "C" __global__ void kiln_fill_f64(double* y, double value, long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = value;
}

template <typename T>
__device__ void add_bias(T* y, const T* bias, int rows, int cols) {
    long long n = (long long) rows * cols;
    KILN_GRID_STRIDE(i, n) y[i] += bias[i % cols];
}
extern "C" __global__ void kiln_add_bias_f32(float* y, const float* bias, int rows, int cols) {
    add_bias(y, bias, rows, cols);
}
extern "C" __global__ void kiln_add_bias_f64(double* y, const double* bias, int rows, int cols) {
    add_bias(y, bias, rows, cols);
}

template <typename T>
__device__ __forceinline__ T clamp_value(T x, T lo, T hi) {
    if (x != x) return x;
    T r = x < lo ? lo : x;
    return r > hi ? hi : r;
}
extern "C" __global__ void kiln_clamp_f32(const float* x, float* y, float lo, float hi, long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = clamp_value(x[i], lo, hi);
}
extern "C" __global__ void kiln_clamp_f64(const double* x, double* y, double lo, double hi, long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = clamp_value(x[i], lo, hi);
}
extern "C" __global__ void kiln_clamp_backward_f32(const float* x, const float* grad, float* y, float lo, float hi,
                                                   long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = x[i] >= lo && x[i] <= hi ? grad[i] : 0.0f;
}
extern "C" __global__ void kiln_clamp_backward_f64(const double* x, const double* grad, double* y, double lo,
                                                   double hi, long long n) {
    KILN_GRID_STRIDE(i, n) y[i] = x[i] >= lo && x[i] <= hi ? grad[i] : 0.0;
}

// Unsigned integers of the element's width: a copy moves bits, so int64 and NaN payloads survive.
template <typename U>
__device__ void gather(const U* x, U* y, long long n, long long offset, int s0, int s1, int s2, int s3, int s4,
                       int s5, long long t0, long long t1, long long t2, long long t3, long long t4, long long t5) {
    const int sizes[6] = {s0, s1, s2, s3, s4, s5};
    const long long strides[6] = {t0, t1, t2, t3, t4, t5};
    KILN_GRID_STRIDE(i, n) {
        long long rest = i, at = offset;
        for (int d = 5; d >= 0; d--) {
            at += (rest % sizes[d]) * strides[d];
            rest /= sizes[d];
        }
        y[i] = x[at];
    }
}
extern "C" __global__ void kiln_gather_f32(const unsigned int* x, unsigned int* y, long long n, long long offset,
                                           int s0, int s1, int s2, int s3, int s4, int s5, long long t0, long long t1,
                                           long long t2, long long t3, long long t4, long long t5) {
    gather(x, y, n, offset, s0, s1, s2, s3, s4, s5, t0, t1, t2, t3, t4, t5);
}
extern "C" __global__ void kiln_gather_f64(const unsigned long long* x, unsigned long long* y, long long n,
                                           long long offset, int s0, int s1, int s2, int s3, int s4, int s5,
                                           long long t0, long long t1, long long t2, long long t3, long long t4,
                                           long long t5) {
    gather(x, y, n, offset, s0, s1, s2, s3, s4, s5, t0, t1, t2, t3, t4, t5);
}
