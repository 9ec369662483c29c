package dev.kiln.processor.read;

import com.sun.source.tree.BinaryTree;
import com.sun.source.tree.BlockTree;
import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.ExpressionStatementTree;
import com.sun.source.tree.ExpressionTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.LiteralTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.MethodInvocationTree;
import com.sun.source.tree.MethodTree;
import com.sun.source.tree.NewClassTree;
import com.sun.source.tree.ParenthesizedTree;
import com.sun.source.tree.ReturnTree;
import com.sun.source.tree.StatementTree;
import com.sun.source.tree.Tree;
import com.sun.source.tree.TypeCastTree;
import com.sun.source.tree.UnaryTree;
import com.sun.source.tree.VariableTree;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreePath;
import com.sun.source.util.Trees;
import dev.kiln.annotations.Model;
import dev.kiln.annotations.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * The front end over javac's Trees API: reads a {@code @Model} class into a {@link ModelSource}.
 * Everything javac-specific stays here; the positions it hands out carry a {@link TreeRef} so that
 * diagnostics land on the exact tree.
 */
public final class TreesReader {
    /** A tree and its compilation unit: what {@link Trees#printMessage} needs to point at a position. */
    public record TreeRef(Tree tree, CompilationUnitTree unit) {}

    /** The class every model extends. */
    public static final String MODULE = "dev.kiln.nn.Module";
    /** The class of a model's own weights. */
    public static final String PARAMETER = "dev.kiln.Parameter";

    private final Trees trees;
    private final TypeElement type;
    private final CompilationUnitTree unit;
    private final SourcePositions positions;
    private final Map<String, VariableElement> layerFields = new HashMap<>();
    /** The fields among {@link #layerFields} that hold a {@code Parameter} rather than a module. */
    private final Set<String> parameterFields = new java.util.HashSet<>();
    private final Set<String> constructorParameters = new java.util.LinkedHashSet<>();
    /** The models being read, outermost first: a composed model that contains itself is not read again. */
    private final List<String> enclosing;

    private TreesReader(Trees trees, TypeElement type, List<String> enclosing) {
        this.trees = trees;
        this.type = type;
        this.enclosing = enclosing;
        TreePath path = trees.getPath(type);
        this.unit = path == null ? null : path.getCompilationUnit();
        this.positions = trees.getSourcePositions();
    }

    /**
     * Reads {@code type}; reports what makes it unreadable (not a module, no forward) through the
     * returned problems and returns null in that case.
     */
    public static Result read(Trees trees, TypeElement type) {
        return new TreesReader(trees, type, List.of(type.getQualifiedName().toString())).read();
    }

    /** The source model, or the problems that prevented reading one (messages with positions). */
    public record Result(ModelSource model, List<Problem> problems) {}

    /** Why a class could not be read. */
    public enum Problem {
        NOT_A_MODULE,
        NO_FORWARD,
        NO_CONSTRUCTOR,
        NO_SOURCE
    }

    private Result read() {
        if (unit == null) {
            return new Result(null, List.of(Problem.NO_SOURCE));
        }
        if (!extendsModule(type.asType())) {
            return new Result(null, List.of(Problem.NOT_A_MODULE));
        }
        ExecutableElement forward = null;
        List<ExecutableElement> constructors = new ArrayList<>();
        for (Element e : type.getEnclosedElements()) {
            if (e instanceof ExecutableElement m) {
                if (m.getKind() == ElementKind.METHOD && m.getSimpleName().contentEquals("forward")
                        && m.getParameters().size() == 1) {
                    forward = m;
                } else if (m.getKind() == ElementKind.CONSTRUCTOR) {
                    constructors.add(m);
                }
            } else if (e instanceof VariableElement v && e.getKind() == ElementKind.FIELD
                    && !v.getModifiers().contains(Modifier.STATIC)) {
                if (extendsModule(v.asType())) {
                    layerFields.put(v.getSimpleName().toString(), v);
                } else if (isParameter(v.asType())) {
                    layerFields.put(v.getSimpleName().toString(), v);
                    parameterFields.add(v.getSimpleName().toString());
                }
            }
        }
        List<Problem> problems = new ArrayList<>();
        if (forward == null) {
            problems.add(Problem.NO_FORWARD);
        }
        MethodTree constructor = buildingConstructor(constructors);
        if (constructor == null) {
            problems.add(Problem.NO_CONSTRUCTOR);
        }
        if (!problems.isEmpty()) {
            return new Result(null, problems);
        }
        for (VariableTree p : constructor.getParameters()) {
            constructorParameters.add(p.getName().toString());
        }
        List<LayerSource> layers = readLayers(constructor);
        VariableElement parameter = forward.getParameters().getFirst();
        List<SizeExpr> inputShape = readShape(parameter);
        MethodTree forwardTree = trees.getTree(forward);
        List<Statement> body = new ArrayList<>();
        for (StatementTree s : forwardTree.getBody().getStatements()) {
            body.add(readStatement(s));
        }
        ModelSource model = new ModelSource(type.getSimpleName().toString(), List.copyOf(constructorParameters),
                layers, parameter.getSimpleName().toString(), inputShape, body, position(trees.getTree(type)));
        return new Result(model, List.of());
    }

    private static boolean isParameter(TypeMirror mirror) {
        return mirror.getKind() == TypeKind.DECLARED
                && ((TypeElement) ((DeclaredType) mirror).asElement()).getQualifiedName().contentEquals(PARAMETER);
    }

    private boolean extendsModule(TypeMirror mirror) {
        TypeMirror t = mirror;
        while (t != null && t.getKind() == TypeKind.DECLARED) {
            TypeElement e = (TypeElement) ((DeclaredType) t).asElement();
            if (e.getQualifiedName().contentEquals(MODULE)) {
                return true;
            }
            t = e.getSuperclass();
        }
        return false;
    }

    /** The constructor that builds the layers: the one whose body does not delegate with {@code this(...)}. */
    private MethodTree buildingConstructor(List<ExecutableElement> constructors) {
        for (ExecutableElement c : constructors) {
            MethodTree tree = trees.getTree(c);
            if (tree == null || tree.getBody() == null) {
                continue;
            }
            List<? extends StatementTree> statements = tree.getBody().getStatements();
            boolean delegates = !statements.isEmpty() && statements.getFirst() instanceof ExpressionStatementTree es
                    && es.getExpression() instanceof MethodInvocationTree mi
                    && mi.getMethodSelect() instanceof IdentifierTree id && id.getName().contentEquals("this");
            if (!delegates) {
                return tree;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Layers: field initialisers and assignments in the constructor

    private List<LayerSource> readLayers(MethodTree constructor) {
        Map<String, LayerSource> byField = new java.util.LinkedHashMap<>();
        ClassTree classTree = trees.getTree(type);
        for (Tree member : classTree.getMembers()) {
            if (member instanceof VariableTree v && layerFields.containsKey(v.getName().toString())
                    && v.getInitializer() instanceof NewClassTree created) {
                byField.put(v.getName().toString(), readLayer(v.getName().toString(), created));
            }
        }
        readAssignments(constructor.getBody(), byField);
        // Declaration order, as Module lists its children.
        List<LayerSource> ordered = new ArrayList<>();
        for (Element e : type.getEnclosedElements()) {
            LayerSource layer = byField.get(e.getSimpleName().toString());
            if (e.getKind() == ElementKind.FIELD && layer != null) {
                ordered.add(layer);
            }
        }
        return ordered;
    }

    private void readAssignments(BlockTree block, Map<String, LayerSource> byField) {
        for (StatementTree s : block.getStatements()) {
            if (s instanceof ExpressionStatementTree es
                    && es.getExpression() instanceof com.sun.source.tree.AssignmentTree assignment
                    && assignment.getExpression() instanceof NewClassTree created) {
                String field = assignedField(assignment.getVariable());
                if (field != null && layerFields.containsKey(field)) {
                    byField.put(field, readLayer(field, created));
                }
            }
        }
    }

    private static String assignedField(ExpressionTree target) {
        if (target instanceof IdentifierTree id) {
            return id.getName().toString();
        }
        if (target instanceof MemberSelectTree select && select.getExpression() instanceof IdentifierTree owner
                && owner.getName().contentEquals("this")) {
            return select.getIdentifier().toString();
        }
        return null;
    }

    private LayerSource readLayer(String name, NewClassTree created) {
        String typeName = created.getIdentifier().toString();
        boolean model = false;
        ModelSource submodel = null;
        TypeElement element = createdType(name, created);
        if (element != null) {
            typeName = element.getSimpleName().toString();
            model = element.getAnnotation(Model.class) != null;
            if (model) {
                submodel = readComposed(element);
            }
        }
        List<SizeExpr> sizes = new ArrayList<>();
        List<LayerSource> elements = new ArrayList<>();
        boolean bias = true;
        List<? extends ExpressionTree> args = created.getArguments();
        if (parameterFields.contains(name)) {
            typeName = "Parameter";
            if (args.size() == 1) {
                sizes.addAll(factorySizes(args.getFirst()));
            }
        } else if (typeName.equals("Sequential")) {
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i) instanceof NewClassTree argument) {
                    elements.add(readLayer(name + "[" + i + "]", argument));
                } else {
                    elements.add(new LayerSource(name + "[" + i + "]", "an expression", false, List.of(), true,
                            List.of(), position(args.get(i))));
                }
            }
        } else {
            for (int i = 0; i < args.size(); i++) {
                ExpressionTree arg = args.get(i);
                if (typeName.equals("Linear") && i == 2) {
                    bias = !(arg instanceof LiteralTree lit && Boolean.FALSE.equals(lit.getValue()));
                } else if (typeName.equals("LeakyReLU")) {
                    // A slope, not a size: kept as written so that a fraction is not truncated.
                    sizes.add(new SizeExpr.Opaque(arg.toString()));
                } else {
                    sizes.add(readSize(arg));
                }
            }
        }
        return new LayerSource(name, typeName, model, sizes, bias, elements, position(created), submodel);
    }

    /** The tensor factories whose trailing arguments are the sizes of the tensor they make. */
    private static final Set<String> FACTORIES = Set.of("randn", "rand", "zeros", "ones", "empty");

    /**
     * The sizes of the tensor a {@code Parameter} is built from: the size arguments of the
     * {@code Tensor} factory at the root of the expression ({@code Tensor.randn(dIn, h)}, also under
     * a chain such as {@code .times(0.01)}); with more than two arguments the last two (the first
     * being a generator or an element type). Empty when the expression is not such a call.
     */
    private List<SizeExpr> factorySizes(ExpressionTree tree) {
        ExpressionTree e = tree;
        while (e instanceof MethodInvocationTree call && call.getMethodSelect() instanceof MemberSelectTree select) {
            if (select.getExpression() instanceof IdentifierTree owner && owner.getName().contentEquals("Tensor")) {
                if (!FACTORIES.contains(select.getIdentifier().toString())) {
                    return List.of();
                }
                List<? extends ExpressionTree> args = call.getArguments();
                return args.subList(Math.max(0, args.size() - 2), args.size()).stream().map(this::readSize).toList();
            }
            e = select.getExpression();
        }
        return List.of();
    }

    /**
     * The class {@code created} instantiates. Processors run before javac attributes method bodies,
     * so the expression's type is often unknown yet: then the class is found from the name as
     * written, or from the declared type of the field it is assigned to.
     */
    private TypeElement createdType(String field, NewClassTree created) {
        TypeMirror mirror = trees.getTypeMirror(TreePath.getPath(unit, created));
        if (mirror != null && mirror.getKind() == TypeKind.DECLARED) {
            return (TypeElement) ((DeclaredType) mirror).asElement();
        }
        if (trees.getElement(TreePath.getPath(unit, created.getIdentifier())) instanceof TypeElement named) {
            return named;
        }
        VariableElement declared = layerFields.get(field);
        String written = created.getIdentifier().toString();
        if (declared != null && declared.asType().getKind() == TypeKind.DECLARED) {
            TypeElement fieldType = (TypeElement) ((DeclaredType) declared.asType()).asElement();
            if (fieldType.getSimpleName().contentEquals(written) || fieldType.getQualifiedName().contentEquals(written)) {
                return fieldType;
            }
        }
        return null;
    }

    /** A composed {@code @Model} class as read from its own source, or null when it has none here. */
    private ModelSource readComposed(TypeElement element) {
        String name = element.getQualifiedName().toString();
        if (enclosing.contains(name)) {
            return null;
        }
        List<String> chain = new ArrayList<>(enclosing);
        chain.add(name);
        return new TreesReader(trees, element, List.copyOf(chain)).read().model();
    }

    private SizeExpr readSize(ExpressionTree tree) {
        return switch (tree) {
            case LiteralTree lit when lit.getValue() instanceof Number n -> new SizeExpr.Constant(n.longValue());
            case ParenthesizedTree p -> readSize(p.getExpression());
            case IdentifierTree id when constructorParameters.contains(id.getName().toString()) ->
                    new SizeExpr.Parameter(id.getName().toString());
            case BinaryTree b when operator(b.getKind()) != 0 ->
                    new SizeExpr.Binary(operator(b.getKind()), readSize(b.getLeftOperand()), readSize(b.getRightOperand()));
            default -> {
                // A compile-time constant (static final int SIZE = 13) still counts as a number.
                Element element = trees.getElement(TreePath.getPath(unit, tree));
                if (element instanceof VariableElement v && v.getConstantValue() instanceof Number n) {
                    yield new SizeExpr.Constant(n.longValue());
                }
                yield new SizeExpr.Opaque(tree.toString());
            }
        };
    }

    private static char operator(Tree.Kind kind) {
        return switch (kind) {
            case PLUS -> '+';
            case MINUS -> '-';
            case MULTIPLY -> '*';
            case DIVIDE -> '/';
            default -> 0;
        };
    }

    private List<SizeExpr> readShape(VariableElement parameter) {
        Shape shape = parameter.getAnnotation(Shape.class);
        if (shape == null) {
            return List.of();
        }
        List<SizeExpr> sizes = new ArrayList<>();
        for (String part : shape.value().split(",")) {
            String s = part.strip();
            if (s.matches("\\d+")) {
                sizes.add(new SizeExpr.Constant(Long.parseLong(s)));
            } else if (constructorParameters.contains(s)) {
                sizes.add(new SizeExpr.Parameter(s));
            } else {
                sizes.add(new SizeExpr.Opaque(s));
            }
        }
        return sizes;
    }

    // ---------------------------------------------------------------------------------------------
    // forward

    private Statement readStatement(StatementTree s) {
        SourcePosition at = position(s);
        return switch (s) {
            case VariableTree v when v.getInitializer() != null -> new Statement.Local(v.getName().toString(),
                    readExpression(v.getInitializer()), at);
            case ReturnTree r when r.getExpression() != null -> new Statement.Return(readExpression(r.getExpression()), at);
            default -> new Statement.Unsupported(describe(s), at);
        };
    }

    private static String describe(Tree tree) {
        return switch (tree.getKind()) {
            case FOR_LOOP, ENHANCED_FOR_LOOP -> "a for loop";
            case WHILE_LOOP, DO_WHILE_LOOP -> "a while loop";
            case IF -> "an if statement";
            case SWITCH, SWITCH_EXPRESSION -> "a switch";
            case TRY -> "a try statement";
            case CONDITIONAL_EXPRESSION -> "a conditional expression";
            case EXPRESSION_STATEMENT -> "a statement that is not a declaration or a return";
            case VARIABLE -> "a variable without a value";
            case LAMBDA_EXPRESSION -> "a lambda";
            case NEW_CLASS -> "creating an object";
            case MEMBER_SELECT -> "reading a field";
            default -> "a " + tree.getKind().toString().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
    }

    private Expr readExpression(ExpressionTree tree) {
        SourcePosition at = position(tree);
        return switch (tree) {
            case ParenthesizedTree p -> readExpression(p.getExpression());
            case TypeCastTree c -> readExpression(c.getExpression());
            case IdentifierTree id -> new Expr.Variable(id.getName().toString(), at);
            case MemberSelectTree select when parameterFields.contains(assignedField(select)) ->
                    new Expr.Variable(select.getIdentifier().toString(), at);
            case LiteralTree lit when lit.getValue() instanceof Number n -> new Expr.Number(n.doubleValue(), at);
            case UnaryTree u when u.getKind() == Tree.Kind.UNARY_MINUS && u.getExpression() instanceof LiteralTree lit
                    && lit.getValue() instanceof Number n -> new Expr.Number(-n.doubleValue(), at);
            case MethodInvocationTree call -> readCall(call, at);
            default -> new Expr.Unsupported(describe(tree), at);
        };
    }

    private Expr readCall(MethodInvocationTree call, SourcePosition at) {
        if (!(call.getMethodSelect() instanceof MemberSelectTree select)) {
            return new Expr.Unsupported("a call of " + call.getMethodSelect(), at);
        }
        String method = select.getIdentifier().toString();
        List<Expr> arguments = call.getArguments().stream().map(this::readExpression).toList();
        ExpressionTree receiver = select.getExpression();
        String layer = assignedField(receiver);
        if (layer != null && layerFields.containsKey(layer) && !parameterFields.contains(layer)) {
            if ((method.equals("invoke") || method.equals("forward")) && arguments.size() == 1) {
                return new Expr.LayerCall(layer, arguments.getFirst(), at);
            }
            return new Expr.Unsupported("calling " + layer + "." + method, at);
        }
        Element target = trees.getElement(TreePath.getPath(unit, receiver));
        if (target instanceof TypeElement owner) {
            return new Expr.StaticCall(owner.getSimpleName().toString(), method, arguments, at);
        }
        if (receiver instanceof IdentifierTree id && !(target instanceof VariableElement)
                && !parameterFields.contains(id.getName().toString())) {
            return new Expr.StaticCall(id.getName().toString(), method, arguments, at);
        }
        return new Expr.TensorMethod(readExpression(receiver), method, arguments, at);
    }

    private SourcePosition position(Tree tree) {
        long start = positions.getStartPosition(unit, tree);
        long line = start < 0 ? 0 : unit.getLineMap().getLineNumber(start);
        return new SourcePosition(line, new TreeRef(tree, unit));
    }
}
