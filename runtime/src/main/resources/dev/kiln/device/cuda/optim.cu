// Optimizer updates, one thread per element (grid-stride), following dev.kiln.optim's rules
// (PyTorch's): see SGD and Adam there for the formulas these lines implement.
//
//   kiln_sgd_f32(float* param, const float* grad, float* buf, long long n, float lr, float momentum,
//                float dampening, float weight_decay, int nesterov, int maximize, int first_step)
//       buf is the momentum buffer (unused, may be null, when momentum == 0); first_step != 0
//       starts it from the gradient instead of blending.
//   kiln_adam_f32(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
//                 float* max_exp_avg_sq, long long n, float lr, float beta1, float beta2, float eps,
//                 float weight_decay, float bias_correction1, float bias_correction2_sqrt,
//                 int decoupled, int amsgrad, int maximize)
//       bias_correction1 = 1 - beta1^t and bias_correction2_sqrt = sqrt(1 - beta2^t) for step t,
//       computed on the host in double; decoupled != 0 is AdamW's weight decay; max_exp_avg_sq is
//       used (and may otherwise be null) only with amsgrad.
//   kiln_rmsprop_f32(float* param, const float* grad, float* square_avg, float* grad_avg, float* buf,
//                    long long n, float lr, float alpha, float eps, float weight_decay, float momentum,
//                    int centered, int maximize)
//       grad_avg is used (and may otherwise be null) only when centered, buf only with momentum > 0.
#include "common.cuh"

template <typename T>
__device__ void sgd(T* param, const T* grad, T* buf, long long n, T lr, T momentum, T dampening,
                    T weight_decay, int nesterov, int maximize, int first_step) {
    KILN_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        T p = param[i];
        if (weight_decay != 0) g += weight_decay * p;
        if (momentum != 0) {
            T b = first_step ? g : momentum * buf[i] + ((T) 1 - dampening) * g;
            buf[i] = b;
            g = nesterov ? g + momentum * b : b;
        }
        param[i] = p - lr * g;
    }
}

template <typename T>
__device__ void rmsprop(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, long long n, T lr, T alpha,
                        T eps, T weight_decay, T momentum, int centered, int maximize) {
    KILN_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        T p = param[i];
        if (weight_decay != 0) g += weight_decay * p;
        T v = alpha * square_avg[i] + ((T) 1 - alpha) * (g * g);
        square_avg[i] = v;
        if (centered) {
            T mean = alpha * grad_avg[i] + ((T) 1 - alpha) * g;
            grad_avg[i] = mean;
            v -= mean * mean;
        }
        T step = g / (sqrt(v) + eps);
        if (momentum > 0) {
            step += momentum * buf[i];
            buf[i] = step;
        }
        param[i] = p - lr * step;
    }
}

template <typename T>
__device__ void adam(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, long long n,
                     T lr, T beta1, T beta2, T eps, T weight_decay, T bias_correction1,
                     T bias_correction2_sqrt, int decoupled, int amsgrad, int maximize) {
    KILN_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        T p = param[i];
        if (weight_decay != 0) {
            if (decoupled) p *= (T) 1 - lr * weight_decay;
            else g += weight_decay * p;
        }
        T m = beta1 * exp_avg[i] + ((T) 1 - beta1) * g;
        T v = beta2 * exp_avg_sq[i] + ((T) 1 - beta2) * (g * g);
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        if (amsgrad) {
            v = k_max(max_exp_avg_sq[i], v);
            max_exp_avg_sq[i] = v;
        }
        T denominator = k_sqrt(v) / bias_correction2_sqrt + eps;
        param[i] = p - (m / denominator) * (lr / bias_correction1);
    }
}

#define OPTIM_T(T, suffix)                                                                                  \
    extern "C" __global__ void kiln_sgd_##suffix(T* param, const T* grad, T* buf, long long n, T lr,        \
            T momentum, T dampening, T weight_decay, int nesterov, int maximize, int first_step) {          \
        sgd(param, grad, buf, n, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step);    \
    }                                                                                                       \
    extern "C" __global__ void kiln_adam_##suffix(T* param, const T* grad, T* exp_avg, T* exp_avg_sq,       \
            T* max_exp_avg_sq, long long n, T lr, T beta1, T beta2, T eps, T weight_decay,                  \
            T bias_correction1, T bias_correction2_sqrt, int decoupled, int amsgrad, int maximize) {        \
        adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, n, lr, beta1, beta2, eps, weight_decay,      \
             bias_correction1, bias_correction2_sqrt, decoupled, amsgrad, maximize);                        \
    }                                                                                                       \
    extern "C" __global__ void kiln_rmsprop_##suffix(T* param, const T* grad, T* square_avg, T* grad_avg,    \
            T* buf, long long n, T lr, T alpha, T eps, T weight_decay, T momentum, int centered,            \
            int maximize) {                                                                                 \
        rmsprop(param, grad, square_avg, grad_avg, buf, n, lr, alpha, eps, weight_decay, momentum, centered, \
                maximize);                                                                                  \
    }

OPTIM_T(float, f32)
OPTIM_T(double, f64)
