package dev.kiln.examples.support;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PyFormatTest {

    @Test
    void matchesPythonRepr() {
        assertThat(PyFormat.repr(0.033222541213035583)).isEqualTo("0.033222541213035583");
        assertThat(PyFormat.repr(7.73371482409857e-07)).isEqualTo("7.73371482409857e-07");
        assertThat(PyFormat.repr(6.903993926243857e-05)).isEqualTo("6.903993926243857e-05");
        assertThat(PyFormat.repr(0.00037207684363238513)).isEqualTo("0.00037207684363238513");
        assertThat(PyFormat.repr(35016824.0)).isEqualTo("35016824.0");
        assertThat(PyFormat.repr(1e16)).isEqualTo("1e+16");
        assertThat(PyFormat.repr(1.5e20)).isEqualTo("1.5e+20");
        assertThat(PyFormat.repr(-2.5)).isEqualTo("-2.5");
        assertThat(PyFormat.repr(21.0)).isEqualTo("21.0");
        assertThat(PyFormat.repr(0.0)).isEqualTo("0.0");
        assertThat(PyFormat.repr(Double.NaN)).isEqualTo("nan");
    }
}
