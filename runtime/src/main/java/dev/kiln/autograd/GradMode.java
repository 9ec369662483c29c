package dev.kiln.autograd;

/**
 * Whether operations on the current thread record history for autograd. On by default; turned off
 * inside {@link dev.kiln.Kiln#noGrad()} scopes and while backward runs.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** True when operations on this thread record history. */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /**
     * Sets the mode for this thread and returns a scope that restores the previous mode when closed;
     * use it in try-with-resources.
     */
    public static Scope set(boolean enabled) {
        boolean[] state = ENABLED.get();
        Scope scope = new Scope(state, state[0]);
        state[0] = enabled;
        return scope;
    }

    /** Restores the grad mode that was current when it was opened. */
    public static final class Scope implements AutoCloseable {
        private final boolean[] state;
        private final boolean previous;
        private boolean closed;

        private Scope(boolean[] state, boolean previous) {
            this.state = state;
            this.previous = previous;
        }

        /** Restores the previous mode; closing twice has no further effect. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                state[0] = previous;
            }
        }
    }
}
