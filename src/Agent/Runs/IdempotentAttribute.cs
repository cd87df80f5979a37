namespace Plansmith.Agent.Runs;

/// <summary>
/// Marks a kernel function as safe to run again: calling it twice has the same effect as once.
/// When a run is resumed after a crash, a step that was running a function without this mark is
/// recorded as <c>unverified</c> (it may already have had its effect). Functions built with
/// <c>KernelFunctionFactory</c> can say the same with the metadata property <c>idempotent = true</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class IdempotentAttribute : Attribute;
