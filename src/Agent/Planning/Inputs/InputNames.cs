using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Planning;

/// <summary>Input names from input records: positional parameters in snake_case.</summary>
public static class InputNames
{
    /// <summary>The input names of an input record type, in declaration order.</summary>
    public static IReadOnlyList<string> Of(Type inputsType)
    {
        ArgumentNullException.ThrowIfNull(inputsType);
        return [.. Parameters(inputsType).Select(p => SnakeCase(p.Name!))];
    }

    /// <summary>The input name of a record parameter: <c>MaxSteps</c> → <c>max_steps</c>.</summary>
    public static string SnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    internal static KernelArguments Arguments(object inputs)
    {
        var type = inputs.GetType();
        var arguments = new KernelArguments();
        foreach (var parameter in Parameters(type))
        {
            var value = type.GetProperty(parameter.Name!)!.GetValue(inputs);
            arguments[SnakeCase(parameter.Name!)] = value switch
            {
                null => string.Empty,
                IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
        }

        return arguments;
    }

    private static ParameterInfo[] Parameters(Type type) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .First(c => c.GetParameters().Length > 0 && c.GetParameters()[0].ParameterType != type)
            .GetParameters();
}
