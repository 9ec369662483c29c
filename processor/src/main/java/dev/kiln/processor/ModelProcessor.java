package dev.kiln.processor;

import com.google.auto.service.AutoService;
import com.sun.source.util.Trees;
import dev.kiln.annotations.Model;
import dev.kiln.processor.check.ModelChecker;
import dev.kiln.processor.read.TreesReader;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;

/**
 * The {@code @Model} processor. For each annotated class it runs the stages in order, each of which
 * reports into a {@link Report}, and stops at the first stage whose report is not clean:
 * <ol>
 *   <li>read ({@link TreesReader}): the layer fields, the constructor and {@code forward} into a
 *       source model;
 *   <li>check ({@link ModelChecker}): layer sizes agree and every construct is supported.
 * </ol>
 * Errors are printed at the exact tree they concern. An unexpected exception becomes one error on
 * the class ({@code [KilnInternal]}), never a crash of javac.
 */
@AutoService(Processor.class)
public final class ModelProcessor extends AbstractProcessor {

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        // @Shape is read as part of its model; claiming it too keeps -Xlint quiet about it.
        return Set.of(Model.class.getCanonicalName(), dev.kiln.annotations.Shape.class.getCanonicalName());
    }

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        for (Element element : round.getElementsAnnotatedWith(Model.class)) {
            if (element.getKind() != ElementKind.CLASS) {
                continue;
            }
            TypeElement type = (TypeElement) element;
            if (!type.getAnnotation(Model.class).compile()) {
                continue;
            }
            try {
                processModel(type);
            } catch (RuntimeException | Error e) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                        ErrorMessages.internalError(type.getSimpleName().toString(), e), type);
            }
        }
        return true; // @Model and @Shape are Kiln's own: no other processor needs to see them
    }

    private void processModel(TypeElement type) {
        String name = type.getSimpleName().toString();
        Trees trees = Trees.instance(processingEnv);
        TreesReader.Result read = TreesReader.read(trees, type);
        for (TreesReader.Problem problem : read.problems()) {
            String message = switch (problem) {
                case NOT_A_MODULE -> ErrorMessages.notAModule(name);
                case NO_FORWARD -> ErrorMessages.noForward(name);
                case NO_CONSTRUCTOR -> ErrorMessages.noConstructor(name);
                case NO_SOURCE -> null; // a class from a jar: compiled elsewhere, nothing to read
            };
            if (message != null) {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, message, type);
            }
        }
        if (read.model() == null) {
            return;
        }
        Report report = new Report();
        ModelChecker.check(read.model(), report);
        for (Report.Item item : report.items()) {
            if (item.position().handle() instanceof TreesReader.TreeRef ref) {
                trees.printMessage(Diagnostic.Kind.ERROR, item.message(), ref.tree(), ref.unit());
            } else {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, item.message(), type);
            }
        }
    }
}
