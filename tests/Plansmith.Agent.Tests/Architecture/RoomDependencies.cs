using Mono.Cecil;

namespace Plansmith.Agent.Tests.Architecture;

/// <summary>
/// Reads the built Plansmith.Agent assembly with Mono.Cecil and lists, per type, every type of
/// ours it refers to: in signatures, attributes, generic arguments and method bodies (IL operands,
/// locals), so a dependency hidden inside a lambda or a state machine still counts.
/// </summary>
internal static class RoomDependencies
{
    private const string Root = "Plansmith.Agent";

    /// <summary>Every (from type, to type) pair of ours, by full name, with the rooms they live in.</summary>
    public static IReadOnlyList<(string FromType, string FromNamespace, string ToType, string ToNamespace)> Read(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var pairs = new HashSet<(string, string, string, string)>();
        foreach (var type in module.GetTypes())
        {
            var owner = Outermost(type);
            if (!owner.Namespace.StartsWith(Root, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var used in Referenced(type))
            {
                var target = Outermost(used);
                if (target.Namespace.StartsWith(Root, StringComparison.Ordinal) && target.Scope == module && target.FullName != owner.FullName)
                {
                    pairs.Add((owner.FullName, owner.Namespace, target.FullName, target.Namespace));
                }
            }
        }

        return [.. pairs];
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
                default:
                    found.Add(reference);
                    return;
            }
        }

        void AddMethod(MethodReference method)
        {
            Add(method.DeclaringType);
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument);
                }
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    Add(argument.Value as TypeReference);
                }
            }
        }

        Add(type.BaseType);
        AddAttributes(type);
        foreach (var implemented in type.Interfaces)
        {
            Add(implemented.InterfaceType);
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            AddAttributes(field);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType);
            AddAttributes(property);
        }

        foreach (var method in type.Methods)
        {
            AddMethod(method);
            AddAttributes(method);
            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Add(t);
                        break;
                    case MethodReference m:
                        AddMethod(m);
                        break;
                    case FieldReference f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                }
            }
        }

        return found;
    }
}
