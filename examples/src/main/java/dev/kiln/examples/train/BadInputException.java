package dev.kiln.examples.train;

/**
 * Input that {@code kiln train} cannot train on: a missing file, an unknown column, a target that does
 * not fit the task, an empty split. The CLI prints the message and exits with the usage code, 2.
 */
final class BadInputException extends RuntimeException {

    /** {@code message} says what was expected and what was found. */
    BadInputException(String message) {
        super(message);
    }

    /** As {@link #BadInputException(String)}, keeping the exception that found the problem. */
    BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
