using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs steps that name a <c>tool</c>: it resolves <c>${step}</c> references in the arguments,
/// converts each JSON value to the parameter type the kernel function declares, and invokes the
/// function directly. No model is called. The plan executor's tracing layer records the call as an
/// <c>execute_tool</c> span.
/// </summary>
public sealed class ToolStepExecutor : IStepExecutor
{
    private static readonly JsonSerializerOptions ArgumentOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    private static readonly JsonSerializerOptions OutputOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <inheritdoc />
    public bool CanExecute(PlanStep planStep)
    {
        ArgumentNullException.ThrowIfNull(planStep);
        return planStep.Tool is not null && planStep.Kind != StepKind.Subgoal;
    }

    /// <inheritdoc />
    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Step;
        var tool = step.Tool ?? throw new StepExecutionException(step.Id, $"Step '{step.Id}' has no tool to call.", isTransient: false);
        if (!ToolResolver.TryResolve(context.Kernel.Plugins, tool, out var function))
        {
            throw new StepExecutionException(
                step.Id,
                $"Step '{step.Id}' calls tool '{tool}', which the kernel does not have. Available tools: {string.Join(", ", ToolResolver.AllNames(context.Kernel.Plugins))}.",
                isTransient: false);
        }

        var arguments = BuildArguments(step, function, context.Outputs);
        FunctionResult result;
        try
        {
            result = await function.InvokeAsync(context.Kernel, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not StepExecutionException)
        {
            throw new StepExecutionException(
                step.Id,
                $"Tool '{ToolResolver.CanonicalName(function)}' failed in step '{step.Id}': {ex.GetType().Name}: {ex.Message}",
                IsTransient(ex),
                ex);
        }

        return new StepOutput(ToText(result.GetValue<object>()));
    }

    /// <summary>
    /// Whether a tool's exception may go away on a retry. Bad arguments, missing files and refused
    /// access will not; I/O, network and unknown faults might.
    /// </summary>
    internal static bool IsTransient(Exception exception) => exception switch
    {
        ArgumentException or FormatException or NotSupportedException => false,
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or KeyNotFoundException => false,
        KernelException => false,
        _ => true,
    };

    /// <summary>The text form of a tool's return value: strings as they are, anything else as JSON.</summary>
    public static string ToText(object? value) => value switch
    {
        null => string.Empty,
        string text => text,
        JsonElement element => element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText(),
        IFormattable formattable when value.GetType().IsPrimitive || value is decimal => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(value, value.GetType(), OutputOptions),
    };

    private static KernelArguments BuildArguments(PlanStep step, KernelFunction function, IReadOnlyDictionary<string, string> outputs)
    {
        var arguments = new KernelArguments();
        foreach (var (name, planned) in step.Arguments)
        {
            var parameter = function.Metadata.Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (parameter is null)
            {
                throw new StepExecutionException(
                    step.Id,
                    $"Step '{step.Id}' passes argument '{name}', which tool '{ToolResolver.CanonicalName(function)}' does not take.",
                    isTransient: false);
            }

            JsonElement value;
            try
            {
                value = Plans.ReferenceResolver.Resolve(planned, outputs);
            }
            catch (ReferenceResolutionException ex)
            {
                throw new StepExecutionException(step.Id, $"Step '{step.Id}', argument '{name}': {ex.Message}", isTransient: false, ex);
            }

            arguments[parameter.Name] = Convert(step, function, parameter, value);
        }

        return arguments;
    }

    private static object? Convert(PlanStep step, KernelFunction function, KernelParameterMetadata parameter, JsonElement value)
    {
        var type = parameter.ParameterType;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (type is null || type == typeof(string))
        {
            return value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        }

        if (type == typeof(JsonElement) || type == typeof(object))
        {
            return value;
        }

        try
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                var text = value.GetString()!;
                var converter = TypeDescriptor.GetConverter(type);
                if (converter.CanConvertFrom(typeof(string)))
                {
                    return converter.ConvertFromInvariantString(text);
                }

                // A JSON document held in a string, e.g. an earlier step's JSON output.
                return JsonSerializer.Deserialize(text, type, ArgumentOptions);
            }

            return value.Deserialize(type, ArgumentOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or FormatException or ArgumentException or OverflowException)
        {
            var shown = value.GetRawText();
            if (shown.Length > 80)
            {
                shown = shown[..80] + "…";
            }

            throw new StepExecutionException(
                step.Id,
                $"Step '{step.Id}': argument '{parameter.Name}' of tool '{ToolResolver.CanonicalName(function)}' expects {type.Name}, but the value {shown} cannot be converted ({ex.Message}). Pass a value of that type.",
                isTransient: false,
                ex);
        }
    }
}
