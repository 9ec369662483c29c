package dev.kiln.device.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Loading a real library through the dynamic linker: the C library, which every Linux machine has. */
class SymbolTableTest {

    @Test
    void theFirstLibraryThatLoadsIsUsedAndItsFunctionsAreFound() {
        SymbolTable.Loaded loaded = SymbolTable.load(List.of("libkiln-no-such-library.so.1", "libc.so.6"));
        assertThat(loaded.library()).isEqualTo("libc.so.6");
        assertThat(loaded.symbols().find("strlen")).isPresent();
        assertThat(loaded.symbols().find("kiln_no_such_function")).isEmpty();
    }

    @Test
    void whenNoneLoadsEveryNameIsSaid() {
        assertThatThrownBy(() -> SymbolTable.load(List.of("libkiln-a.so.1", "libkiln-b.so")))
                .isInstanceOf(SymbolTable.LibraryNotFoundException.class)
                .hasMessage("libkiln-a.so.1 not found (nor libkiln-b.so)");
        assertThatThrownBy(() -> SymbolTable.load(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("load: no library names given");
    }
}
