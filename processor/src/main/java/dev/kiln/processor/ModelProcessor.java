package dev.kiln.processor;

import com.google.auto.service.AutoService;
import com.sun.source.util.Trees;
import dev.kiln.annotations.Model;
import dev.kiln.processor.check.ModelChecker;
import dev.kiln.processor.read.TreesReader;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import dev.kiln.processor.autodiff.Backward;
import dev.kiln.processor.fuse.Fusion;
import dev.kiln.processor.ir.ModelGraph;
import dev.kiln.processor.lower.Lowering;
import dev.kiln.processor.read.ModelSource;
import dev.kiln.processor.write.Constructor;
import dev.kiln.processor.write.KilnWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.Processor;
import javax.annotation.processing.RoundEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;
import javax.tools.Diagnostic;

/**
 * The {@code @Model} processor. For each annotated class it runs the stages in order, each of which
 * reports into a {@link Report}, and stops at the first stage whose report is not clean:
 * <ol>
 *   <li>read ({@link TreesReader}): the layer fields, the constructor and {@code forward} into a
 *       source model;
 *   <li>check ({@link ModelChecker}): layer sizes agree and every construct is supported;
 *   <li>lower ({@link Lowering}): the forward as an IR chain, reporting what is checked but not yet
 *       compiled ({@code [KilnNotCompiled]});
 *   <li>differentiate ({@link Backward}): reverse mode on the IR;
 *   <li>fuse ({@link Fusion}): GEMM + bias + activation epilogues, elementwise prologue, softmax;
 *   <li>write ({@link KilnWriter}): {@code <Model>Kiln} through the Filer.
 * </ol>
 * Errors are printed at the exact tree they concern. An unexpected exception becomes one error on
 * the class ({@code [KilnInternal]}), never a crash of javac.
 */
@AutoService(Processor.class)
public final class ModelProcessor extends AbstractProcessor {

    @Override
    public Set<String> getSupportedAnnotationTypes() {
        // @Shape is read as part of its model, and the classes this processor writes carry @Generated:
        // claiming both keeps -Xlint:processing quiet about them.
        return Set.of(Model.class.getCanonicalName(), dev.kiln.annotations.Shape.class.getCanonicalName(),
                "javax.annotation.processing.Generated");
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
        if (report.isClean()) {
            generate(type, read.model(), report);
        }
        for (Report.Item item : report.items()) {
            if (item.position().handle() instanceof TreesReader.TreeRef ref) {
                trees.printMessage(Diagnostic.Kind.ERROR, item.message(), ref.tree(), ref.unit());
            } else {
                processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, item.message(), type);
            }
        }
    }

    /** The stages after check: lower, differentiate, fuse, write; each stops the pipeline when not clean. */
    private void generate(TypeElement type, ModelSource source, Report report) {
        String name = type.getSimpleName().toString();
        if (type.getNestingKind() != NestingKind.TOP_LEVEL) {
            report.error(ErrorMessages.notCompiled("a nested @Model class", name), source.position());
            return;
        }
        if (type.getModifiers().contains(Modifier.FINAL)) {
            report.error(ErrorMessages.notCompiled("a final @Model class (the generated class extends it)", name),
                    source.position());
            return;
        }
        String packageName = processingEnv.getElementUtils().getPackageOf(type).getQualifiedName().toString();
        ModelGraph graph = Lowering.lower(source, packageName, report);
        if (graph == null || !report.isClean()) {
            return;
        }
        Backward backward = Backward.of(graph);
        Fusion fusion = Fusion.of(graph, backward);
        List<Constructor> constructors = new ArrayList<>();
        for (Element e : type.getEnclosedElements()) {
            if (e instanceof ExecutableElement c && c.getKind() == ElementKind.CONSTRUCTOR
                    && !c.getModifiers().contains(Modifier.PRIVATE)) {
                Set<Modifier> modifiers = new HashSet<>(c.getModifiers());
                modifiers.retainAll(Set.of(Modifier.PUBLIC, Modifier.PROTECTED));
                List<ParameterSpec> parameters = c.getParameters().stream()
                        .map(p -> ParameterSpec.builder(TypeName.get(p.asType()), p.getSimpleName().toString()).build())
                        .toList();
                List<TypeName> thrown = c.getThrownTypes().stream().map(TypeName::get).toList();
                constructors.add(new Constructor(modifiers, parameters, c.isVarArgs(), thrown));
            }
        }
        JavaFile file = KilnWriter.write(graph, backward, fusion, constructors);
        try {
            String generated = file.packageName().isEmpty() ? file.typeSpec().name()
                    : file.packageName() + "." + file.typeSpec().name();
            try (java.io.Writer writer = processingEnv.getFiler().createSourceFile(generated, type).openWriter()) {
                file.writeTo(writer);
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR,
                    ErrorMessages.internalError(name, e), type);
        }
    }
}
